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
        self.path = URL(fileURLWithPath: path).standardizedFileURL.path
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
    public func slot(_ id: Int) -> WorkerSlot {
        WorkerSlot(id: id, path: "\(workersDirectory)/\(id)")
    }

    /// The slots that exist on disk, by id.
    public func existingSlots() -> [WorkerSlot] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: workersDirectory)) ?? []
        return names.compactMap(Int.init).sorted().map(slot)
    }

    /// Creates the root and its `workers` directory (mode 0700), refusing a directory that
    /// another user owns or that others can write to.
    public func create() throws {
        try Self.makePrivateDirectory(path)
        try Self.makePrivateDirectory(workersDirectory)
    }

    /// Creates `path` and its missing parents; the directory itself is made 0700 and checked.
    ///
    /// - Throws: `QueueError.unsafeDirectory` when it exists but belongs to another user or is
    ///   writable by group or others; `QueueError.symlink` when it is a symlink.
    public static func makePrivateDirectory(_ path: String) throws {
        var info = stat()
        if lstat(path, &info) != 0 {
            let parent = Path.parent(path)
            if !parent.isEmpty, parent != path, !FileManager.default.fileExists(atPath: parent) {
                let code = makeDirectories(parent)
                guard code == 0 else { throw QueueError.io("create \(parent)", code) }
            }
            if mkdir(path, 0o700) != 0 && errno != EEXIST { throw QueueError.io("create \(path)", errno) }
            guard lstat(path, &info) == 0 else { throw QueueError.io("stat \(path)", errno) }
        }
        if info.st_mode & S_IFMT == S_IFLNK { throw QueueError.symlink(path) }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw QueueError.unsafeDirectory(path, "it is not a directory")
        }
        guard info.st_uid == geteuid() else {
            throw QueueError.unsafeDirectory(path, "it belongs to uid \(info.st_uid), not to you (uid \(geteuid())); use a directory of your own (--queue DIR)")
        }
        guard info.st_mode & 0o022 == 0 else {
            throw QueueError.unsafeDirectory(path, "others can write to it (mode \(String(info.st_mode & 0o777, radix: 8))); run chmod 700 \(path)")
        }
    }

    /// `mkdir -p`: makes `path` and its missing parents (mode 0700); returns 0 or the failing errno.
    private static func makeDirectories(_ path: String) -> Int32 {
        if mkdir(path, 0o700) == 0 || errno == EEXIST { return 0 }
        guard errno == ENOENT else { return errno }
        let parent = Path.parent(path)
        guard !parent.isEmpty, parent != path else { return ENOENT }
        let code = makeDirectories(parent)
        guard code == 0 else { return code }
        return mkdir(path, 0o700) == 0 || errno == EEXIST ? 0 : errno
    }
}
