import FoundationEssentials
import Postgres

/// What a remote worker needs: its name, its directory, the queue's URL, its lease.
public struct RemoteWorkerConfiguration: Sendable {
    /// The worker's name on the queue (`hostA-0`), unique among live workers: its branches are
    /// `conductor/<batch>/<name>`.
    public var name: String
    /// Where the worker keeps its clones and worktrees (and task logs, under `queue/`).
    public var directory: String
    /// The queue's `postgres://` URL; only `PostgresURL.redacted` of it is ever shown.
    public var url: String
    /// Seconds a claim holds without a renewal; renewed three times per lease.
    public var lease: Double = 30
    /// Seconds between looks at the queue while nothing is queued.
    public var pollInterval: Double = 1
    /// Seconds a task may run when it sets no timeout; nil for no limit.
    public var defaultTimeout: Double?
    /// Seconds between SIGTERM and SIGKILL when a task is ended.
    public var grace: Double = 5

    public init(name: String, directory: String, url: String) {
        self.name = name
        self.directory = directory
        self.url = url
    }

    /// True when `queue` (a `--queue` value or `$CONDUCTOR_QUEUE`) names a PostgreSQL queue.
    public static func isQueueURL(_ queue: String) -> Bool {
        PostgresURL.isPostgres(queue)
    }
}
