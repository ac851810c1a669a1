import FoundationEssentials

/// What a remote worker needs: its name, its directory, its queue, its lease.
public struct RemoteWorkerConfiguration: Sendable {
    /// The worker's name on the queue (`hostA-0`), unique among live workers: its branches are
    /// `conductor/<batch>/<name>`.
    public var name: String
    /// Where the worker keeps its clones and worktrees (and task logs, under `queue/`).
    public var directory: String
    /// The shared queue it serves; only the address's `description` (no password) is ever shown.
    public var queue: TaskQueueAddress
    /// Seconds a claim holds without a renewal; renewed three times per lease.
    public var lease: Double = 30
    /// Seconds between looks at the queue while nothing is queued.
    public var pollInterval: Double = 1
    /// Seconds a task may run when it sets no timeout; nil for no limit.
    public var defaultTimeout: Double?
    /// Seconds between SIGTERM and SIGKILL when a task is ended.
    public var grace: Double = 5

    public init(name: String, directory: String, queue: TaskQueueAddress) {
        self.name = name
        self.directory = directory
        self.queue = queue
    }

    /// Why `name` cannot name a remote worker, or nil. Its branches are `conductor/<batch>/<name>`,
    /// so it must fit in a branch name, and must not be `merged` (the branch `conductor merge`
    /// builds) nor `w<n>` (a local worker's branch, as a coordinator's own workers have).
    public static func problem(withName name: String) -> String? {
        guard TaskSpec.isUsableID(name) else {
            return "the worker name '\(name)' cannot be used in a branch name: give letters, digits, '.', '_' or '-' (e.g. hostA-0)"
        }
        if name == "merged" || (name.count > 1 && name.first == "w" && name.dropFirst().allSatisfy { ("0"..."9").contains($0) }) {
            return "the worker name '\(name)' is reserved: conductor/<batch>/merged is the merge branch and conductor/<batch>/w<n> are local workers' branches; give another (e.g. hostA-0)"
        }
        return nil
    }
}
