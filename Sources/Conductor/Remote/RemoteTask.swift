import FoundationEssentials
import Git
import Queue

/// What one task of a shared queue carries (its `spec`, as JSON): everything a worker on
/// any host needs to run the task, with nothing but the queue and the git remote shared.
///
///     {"batch": "b1", "remote": "git@host:team/app.git", "base": "<40 hex digits>",
///      "task": {"id": "auth", "prompt": "…"}, "agent": {"preset": "claude", "extraArguments": []}}
public struct RemoteTask: Codable, Sendable, Equatable {
    /// The batch's name: workers commit on `conductor/<batch>/<worker name>`.
    public var batch: String
    /// The repository's remote URL, where workers fetch from and push their branches to.
    public var remote: String
    /// The base commit (full hex id), which must be on the remote: every worker branch starts there.
    public var base: String
    /// The task as a tasks file gives it.
    public var task: TaskSpec
    /// Which agent answers a prompt task.
    public var agent: AgentChoice

    public init(batch: String, remote: String, base: String, task: TaskSpec, agent: AgentChoice = AgentChoice()) {
        self.batch = batch
        self.remote = remote
        self.base = base
        self.task = task
        self.agent = agent
    }

    /// Adds `tasks` to `batch` on `queue`, all or none, each carrying the remote, the base commit
    /// and the agent, so that `conductor worker NAME DIR --queue ADDRESS` on any host can run
    /// them, and the batch's `options`.
    ///
    /// - Throws: `RemoteTaskError` for a batch name, task id or base that cannot be used (naming
    ///   which), the queue's error when it refuses (a task id already in the batch).
    public static func submit(_ tasks: [TaskSpec], batch: String, remote: String, base: String, agent: AgentChoice = AgentChoice(),
                              options: RemoteBatchOptions = RemoteBatchOptions(), to queue: any TaskQueue) throws {
        try queue.submit(batch: batch, tasks: submissions(tasks, batch: batch, remote: remote, base: base, agent: agent, options: options))
    }

    /// What `submit` (and `--resume`, which puts failed tasks back) gives the queue for `tasks`:
    /// each task's JSON, with the batch's timeout when it sets none, and the queue's rules for it.
    ///
    /// - Throws: `RemoteTaskError` for a batch name, task id or base that cannot be used.
    static func submissions(_ tasks: [TaskSpec], batch: String, remote: String, base: String, agent: AgentChoice,
                            options: RemoteBatchOptions) throws -> [TaskSubmission] {
        guard BatchStore.isValidName(batch) else {
            throw RemoteTaskError("batch name '\(batch)' cannot be used: give letters, digits, '.', '_' or '-'")
        }
        guard (try? ObjectID(hex: base)) != nil else {
            throw RemoteTaskError("base '\(base)' of batch \(batch) is not a full commit id (40 hex digits); resolve it first, e.g. git rev-parse main")
        }
        for task in tasks where !TaskSpec.isUsableID(task.id) {
            throw RemoteTaskError("task id '\(task.id)' of batch \(batch) cannot be used in a branch or file name: give letters, digits, '.', '_' or '-'")
        }
        return try tasks.map { task in
            var task = task
            task.timeout = task.timeout ?? options.timeout
            let spec = String(decoding: try QueueJSON.encoder.encode(RemoteTask(batch: batch, remote: remote, base: base, task: task, agent: agent)),
                              as: UTF8.self)
            return TaskSubmission(id: task.id, spec: spec, expiryLimit: options.retries,
                                                stopsBatch: task.stopOnError ?? options.stopOnError)
        }
    }

    /// The task a claimed row carries.
    ///
    /// - Throws: `RemoteTaskError` naming the batch, the task and what is wrong with its JSON.
    public static func decode(_ claim: TaskClaim) throws -> RemoteTask {
        try decode(claim.spec, task: claim.task, batch: claim.batch)
    }

    /// The task `spec` (the JSON of task `task` of `batch` on the queue) carries.
    ///
    /// - Throws: `RemoteTaskError` naming the batch, the task and what is wrong with its JSON.
    static func decode(_ spec: String, task: String, batch: String) throws -> RemoteTask {
        do {
            return try QueueJSON.decoder.decode(RemoteTask.self, from: Data(spec.utf8))
        } catch {
            throw RemoteTaskError("task \(task) of batch \(batch) is not a remote task (\(QueueJSON.describe(error))); submit it with RemoteTask.submit")
        }
    }
}

/// The options of a local batch that a batch on a shared queue honours. They are stored in
/// what is submitted, so they hold whichever host runs a task, and whether the coordinator runs or not.
public struct RemoteBatchOptions: Sendable, Equatable {
    /// Seconds a task may run when it sets no timeout of its own (nil: no limit).
    public var timeout: Double?
    /// How many times a task's lease may run out (its worker's host died, was stopped or cut off)
    /// and the task go back to the queue; once more, and it fails (nil: no limit). A worker that
    /// gives its claim back does not count.
    public var retries: Int?
    /// Whether any task's failure stops the batch: its queued tasks are skipped, running ones
    /// finish. A task's own `stopOnError` wins.
    public var stopOnError: Bool

    public init(timeout: Double? = nil, retries: Int? = nil, stopOnError: Bool = false) {
        self.timeout = timeout
        self.retries = retries
        self.stopOnError = stopOnError
    }
}

/// A remote task that cannot be submitted or run, in words that say what to fix.
public struct RemoteTaskError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
