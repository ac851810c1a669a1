import FoundationEssentials

/// A queue of tasks that workers anywhere claim as leases: the seam between conductor and the
/// engine that holds a shared batch's state (issue 16). `PostgresTaskQueue` keeps it in
/// PostgreSQL, for workers on many hosts; `DirectoryTaskQueue` keeps it in files, for workers
/// that share a filesystem. The remote worker, the coordinator of a shared batch and `status`
/// work against this protocol only.
///
/// The rules every implementation keeps (`TaskQueueConformanceTests` checks both):
/// - A claim takes the oldest queued task (of one batch, or of any), never one another claim
///   holds, and never one of a batch that a failed `stopsBatch` task stopped. Each claim gets a
///   token larger than any before it.
/// - A claim is a lease: `heartbeat` renews it; once it runs out, `requeueExpired` puts the task
///   back (its next claim counts one attempt more), or fails it past its `expiryLimit`.
/// - `complete` and `release` are accepted only with the task's current token while the lease
///   holds: a stale worker never records a result over a newer attempt.
/// - Every change is journaled, in the same step as the change.
public protocol TaskQueue: AnyObject {
    /// Adds `tasks` to `batch`, all or none.
    func submit(batch: String, tasks: [TaskSubmission]) throws

    /// Claims the oldest queued task (of `batch`, or of any batch) for `worker` with a lease of
    /// `lease` seconds; nil when nothing can be claimed.
    func claim(worker: String, lease: Double, batch: String?) throws -> TaskClaim?

    /// Renews the lease of `claim` for `lease` seconds; false when it is no longer the task's
    /// current claim (the lease ran out and the task went back, or was claimed again).
    func heartbeat(_ claim: TaskClaim, lease: Double) throws -> Bool

    /// Records the result (JSON) of `claim` as done or failed; false, and nothing recorded, when
    /// its lease was lost. A failure of a task that stops its batch skips the batch's queued tasks.
    func complete(_ claim: TaskClaim, succeeded: Bool, result: String) throws -> Bool

    /// Gives `claim` back before its lease runs out (no lease expiry counted), unless its batch was
    /// stopped meanwhile: then the task is skipped. False when it was no longer this claim.
    @discardableResult
    func release(_ claim: TaskClaim) throws -> Bool

    /// Puts every claim whose lease ran out back in the queue, or fails its task past its
    /// `expiryLimit`; a task of a stopped batch is skipped instead. Returns the tasks put back
    /// (`batch/id`).
    @discardableResult
    func requeueExpired() throws -> [String]

    /// Every task of `batch`, in submission order.
    func rows(batch: String) throws -> [QueuedTask]

    /// The journal's events for `batch`, oldest first.
    func journal(batch: String) throws -> [QueueEvent]

    /// The workers that claimed `task` of `batch`, in the order of their first claim, but for
    /// claims they gave back (`release`): those ended before their worker let go of them.
    func claimants(batch: String, task: String) throws -> [String]

    /// Puts the failed and skipped tasks among `tasks` back in the queue (`--resume`), each with
    /// its spec and rules as given now and its lease expiries counted from zero; attempts are
    /// kept; other tasks are left as they are. All or none; returns the ids put back.
    func resubmit(batch: String, tasks: [TaskSubmission]) throws -> [String]

    /// Skips the queued tasks of `batch` when a failed task stops it; the ids skipped.
    func skipQueuedTasksOfStoppedBatch(_ batch: String) throws -> [String]

    /// Holds worker name `name` while this queue object (its connection, its process) lives,
    /// labelled `label` for a worker that is refused.
    ///
    /// - Throws: `TaskQueueError.workerNameTaken` when a live worker holds the name.
    func holdWorkerName(_ name: String, label: String) throws

    /// Subscribes to the news of new and re-queued tasks, for `waitForWork`. Call it once, before
    /// the first claim.
    func listenForWork() throws

    /// Waits until tasks are submitted or put back (by anyone), at most `timeout` seconds; true
    /// when woken. A timeout is when to look anyway.
    func waitForWork(timeout: Double) throws -> Bool
}

extension TaskQueue {
    /// Claims the oldest queued task of any batch for `worker`, with a lease of `lease` seconds.
    public func claim(worker: String, lease: Double) throws -> TaskClaim? {
        try claim(worker: worker, lease: lease, batch: nil)
    }
}

/// One task to submit: its id, its JSON, and the rules the queue applies to it.
public struct TaskSubmission: Sendable, Equatable {
    public var id: String
    /// The task as a JSON object.
    public var spec: String
    /// How many times the task's lease may run out (its host died, was stopped or cut off) and the
    /// task go back to the queue; once more, and it fails. Nil: no limit.
    public var expiryLimit: Int?
    /// Whether the task's failure stops its batch: the batch's queued tasks are skipped.
    public var stopsBatch: Bool

    public init(id: String, spec: String, expiryLimit: Int? = nil, stopsBatch: Bool = false) {
        self.id = id
        self.spec = spec
        self.expiryLimit = expiryLimit
        self.stopsBatch = stopsBatch
    }
}

/// One claimed task.
public struct TaskClaim: Sendable, Equatable {
    public let batch: String
    public let task: String
    /// The task as JSON, as it was submitted.
    public let spec: String
    /// 1 for the first claim of the task, then one more for each claim after it.
    public let attempt: Int
    /// What `heartbeat`, `complete` and `release` must present: only the latest claim holds it.
    public let token: Int64

    public init(batch: String, task: String, spec: String, attempt: Int, token: Int64) {
        self.batch = batch
        self.task = task
        self.spec = spec
        self.attempt = attempt
        self.token = token
    }
}

/// A task as the queue has it, for status and results.
public struct QueuedTask: Sendable, Equatable {
    /// `skipped`: not started, because a task that stops the batch failed.
    public enum State: String, Sendable, Codable { case queued, claimed, done, failed, skipped }
    public let task: String
    public let state: State
    public let attempts: Int
    public let claimedBy: String?
    /// The worker's result; or, for a task the queue failed (its leases ran out too often) or
    /// skipped, `{"error": "…"}` saying why.
    public let result: String?
    /// The task as JSON, as it was submitted (or last put back).
    public let spec: String

    public init(task: String, state: State, attempts: Int, claimedBy: String?, result: String?, spec: String) {
        self.task = task
        self.state = state
        self.attempts = attempts
        self.claimedBy = claimedBy
        self.result = result
        self.spec = spec
    }

    /// True once the task is done, failed or skipped: nothing more happens to it unless it is put
    /// back (`resubmit`).
    public var isFinished: Bool { state == .done || state == .failed || state == .skipped }
}

/// One event of a queue's journal: `submit`, `claim`, `done`, `failed`, `released`, `expired`,
/// `skipped` or `requeued`.
public struct QueueEvent: Sendable, Equatable {
    public let task: String
    public let event: String
    public let attempt: Int
    public let worker: String?

    public init(task: String, event: String, attempt: Int, worker: String?) {
        self.task = task
        self.event = event
        self.attempt = attempt
        self.worker = worker
    }
}

/// Why a task queue refused.
public enum TaskQueueError: Error, CustomStringConvertible, Equatable {
    /// A live worker already holds this name (`holder` says who, when the queue knows).
    case workerNameTaken(String, holder: String?)
    /// A directory queue (`DirectoryTaskQueue`) was made by a newer conductor: its `queue.json`
    /// says format `found`, this conductor knows up to `known`.
    case newerFormat(directory: String, found: Int, known: Int)
    /// The directory holds something other than a task queue (`why` says what).
    case notATaskQueue(directory: String, why: String)
    /// A batch or worker name (`kind`) that a directory queue cannot use as a file name.
    case unusableName(kind: String, name: String)
    /// A submitted task's id is already in its batch (or twice in the submission).
    case duplicateTask(batch: String, task: String)
    /// A task's `field` (its spec, its result) is not JSON.
    case invalidJSON(batch: String, task: String, field: String, why: String)

    public var description: String {
        switch self {
        case .workerNameTaken(let name, let holder):
            "worker name '\(name)' is held by a live worker" + (holder.map { " (\($0))" } ?? "")
                + "; give this one another name (e.g. its host name and a number), or stop that worker first"
        case .newerFormat(let directory, let found, let known):
            "the task queue in \(directory) is format version \(found) (its queue.json), newer than this conductor knows (\(known)); upgrade conductor"
        case .notATaskQueue(let directory, let why):
            "\(directory) is not a task queue: \(why); give the queue an empty or new directory"
        case .unusableName(let kind, let name):
            "\(kind) name '\(name)' cannot name a file of a directory queue: it must not be empty, contain '/' or start with '.'; rename it"
        case .duplicateTask(let batch, let task):
            "task '\(task)' is already in batch '\(batch)'; give each task its own id (a failed or skipped task goes back with --resume)"
        case .invalidJSON(let batch, let task, let field, let why):
            "the \(field) of task '\(task)' of batch '\(batch)' is not JSON (\(why)); give it as a JSON object"
        }
    }
}
