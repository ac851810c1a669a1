import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif
import Queue

/// How an orchestrator runs a list of tasks.
public struct OrchestratorOptions: Sendable {
    /// Extra attempts for a task whose worker died or whose agent reported a rate limit.
    public var retries = 2
    /// Seconds prompts wait after an agent's usage limit when it gave no reset time.
    public var usageLimitWait: TimeInterval = 300
    /// Seconds added to a usage limit's reset time before prompts start again.
    public var usageLimitMargin: TimeInterval = 5
    /// Seconds a task may run when it sets no `timeout`; nil for no limit.
    public var timeout: TimeInterval?
    /// The first wait before retrying a rate-limited task; it doubles on each retry.
    public var backoff: TimeInterval = 2
    /// A worker whose heartbeat is older than this is taken for dead (hung or stopped).
    public var heartbeatTimeout: TimeInterval = 20
    /// How long to wait for a live worker before giving up.
    public var noWorkerTimeout: TimeInterval = 10
    /// Stop at the first failure even when the task does not say `stopOnError`: in a sequential
    /// run the rest are skipped; in a parallel one no new task starts (running ones finish) and
    /// the rest are skipped.
    public var stopOnError = false
    /// The journal file; none when nil.
    public var journalPath: String?
    /// A GNU parallel style job log; none when nil.
    public var jobLogPath: String?
    public var watchMode: DirectoryWatcher.Mode = .fromEnvironment
    /// Called just before a task is assigned to a worker, to say where it runs and how its changes
    /// are committed (batches make worktrees here). A throw fails the task without running it.
    public var placement: (@Sendable (TaskSpec, Int) throws -> Placement)?
    /// Told about assignments, retries and results as they happen (progress displays).
    public var events: (@Sendable (OrchestratorEvent) -> Void)?
    /// Wait for another orchestrator on the same queue to finish instead of failing (submissions).
    public var waitForQueue = false
    /// The worker a task should go to when it is free (a resumed task, back to its worktree).
    public var preferredWorker: (@Sendable (TaskSpec) -> Int?)?
    /// How many times earlier runs already started a task (a resumed batch), so its attempts
    /// count on from there; `retries` more are allowed in this run.
    public var priorAttempts: (@Sendable (TaskSpec) -> Int)?

    public init() {}
}

/// Where a task runs and how its changes are recorded, chosen when it is assigned.
public struct Placement: Sendable {
    public var cwd: String?
    public var commit: CommitRequest?
    /// Run once before the task when `setupMarker` does not exist yet.
    public var setup: String?
    public var setupMarker: String?

    public init(cwd: String?, commit: CommitRequest?, setup: String? = nil, setupMarker: String? = nil) {
        self.cwd = cwd
        self.commit = commit
        self.setup = setup
        self.setupMarker = setupMarker
    }
}

/// Something that happened during a run.
public enum OrchestratorEvent: Sendable {
    case assigned(index: Int, task: TaskSpec, worker: Int, attempt: Int)
    case retrying(index: Int, task: TaskSpec, reason: String, after: TimeInterval)
    /// The agent hit its usage limit: prompts wait until `until` (commands go on).
    case waitingForUsageLimit(until: Date, reason: String)
    case finished(index: Int, result: TaskResult)
    /// What a running prompt task's agent is doing changed (a new tool use or turn).
    case activity(index: Int, task: TaskSpec, worker: Int, activity: TaskActivity)
}

/// A run that cannot go ahead at all.
public enum OrchestratorError: Error, CustomStringConvertible {
    case noLiveWorkers(queue: String, waited: TimeInterval)
    case queue(QueueError)

    public var description: String {
        switch self {
        case .noLiveWorkers(let queue, let waited):
            return "no live worker on the queue \(queue) (waited \(Int(waited)) s); start workers first: conductor worker 0 DIR --queue \(queue)"
        case .queue(let error):
            return error.description
        }
    }
}
