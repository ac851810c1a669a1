import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif
import Queue

/// Everything a worker needs to know: its slot, where tasks run, which agent answers prompts.
public struct WorkerConfiguration: Sendable {
    /// The slot number (`<queue>/workers/<id>`).
    public var id: Int
    /// Where tasks run unless their `cwd` says otherwise.
    public var directory: String
    public var queue: QueueRoot
    public var agent: Agent
    /// Seconds a task may run when it does not set its own timeout; nil for no limit.
    public var defaultTimeout: TimeInterval?
    /// Seconds between SIGTERM and SIGKILL when a task is ended.
    public var grace: TimeInterval = 5
    /// Seconds between heartbeats written to `status.json`.
    public var heartbeatInterval: TimeInterval = 1
    public var watchMode: DirectoryWatcher.Mode = .fromEnvironment
    /// Bytes of stdout (and of stderr) copied into `result.json`; the logs keep more (`logLimit`).
    public var outputLimit = 64 * 1024
    /// Bytes each task log in the queue (`logs/<seq>-<id>.stdout`, `.stderr`) keeps: the first
    /// half and the last half of the output, with a line `… N bytes cut …` between them when the
    /// task wrote more.
    public var logLimit = 4 << 20
    /// The worker stops when this process is gone (workers started by a batch).
    public var parentPid: Int32?
    /// The worker's name on a shared queue (`hostA-0`), given to tasks as `CONDUCTOR_WORKER`
    /// instead of the slot number.
    public var name: String?
    /// The environment tasks start from.
    public var environment: [String: String] = ProcessInfo.processInfo.environment

    /// Ports each worker may use: `portsPerWorker` of them from `$CONDUCTOR_PORT_BASE` (default
    /// 20000) + `portsPerWorker` × id, so dev servers that parallel agents start do not collide.
    public static let portsPerWorker = 10

    /// The first of this worker's ports, given to its tasks as `CONDUCTOR_PORT`.
    public var firstPort: Int {
        (environment["CONDUCTOR_PORT_BASE"].flatMap { Int($0) } ?? 20000) + Self.portsPerWorker * id
    }

    public init(id: Int, directory: String, queue: QueueRoot, agent: Agent = .claude()) {
        self.id = id
        self.directory = directory
        self.queue = queue
        self.agent = agent
    }
}
