import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

/// The directory that holds a queue: `<root>/workers/<n>/…`.
public struct QueueRoot: Sendable, Equatable {
    public let path: String

    public init(path: String) {
        self.path = Path.absolute(path)
    }

    /// The queue to use: `explicit` (`--queue`), else `$CONDUCTOR_HOME`, else `~/.claude-code/orchestrator`.
    public static func resolve(_ explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> QueueRoot {
        if let explicit, !explicit.isEmpty { return QueueRoot(path: explicit) }
        if let home = environment["CONDUCTOR_HOME"], !home.isEmpty { return QueueRoot(path: home) }
        let userHome = Path.home(environment: environment)
        return QueueRoot(path: "\(userHome)/.claude-code/orchestrator")
    }

    public var workersDirectory: String { "\(path)/workers" }

    /// The slot of worker `id`.
    package func slot(_ id: Int) -> WorkerSlot {
        WorkerSlot(id: id, path: "\(workersDirectory)/\(id)")
    }

    /// The lock file an orchestrator holds while it runs tasks on this queue.
    package var orchestratorLockFile: String { "\(path)/orchestrator.lock" }

    /// The slots that exist on disk, by id.
    package func existingSlots() -> [WorkerSlot] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: workersDirectory)) ?? []
        return names.compactMap(Int.init).sorted().map(slot)
    }

    /// Creates the root and its `workers` directory (mode 0700), refusing a directory that
    /// another user owns or that others can write to.
    public func create() throws {
        try PrivateDirectory.make(path)
        try PrivateDirectory.make(workersDirectory)
    }
}
