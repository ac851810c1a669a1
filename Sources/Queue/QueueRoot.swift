import Foundation
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
        let userHome = environment["HOME"] ?? NSHomeDirectory()
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
            let parent = (path as NSString).deletingLastPathComponent
            if !parent.isEmpty, parent != path, !FileManager.default.fileExists(atPath: parent) {
                do {
                    try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
                } catch {
                    throw QueueError.io("create \(parent)", (error as NSError).code == 0 ? EIO : Int32((error as NSError).code))
                }
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
            throw QueueError.unsafeDirectory(path, String(format: "others can write to it (mode %o); run chmod 700 %@", info.st_mode & 0o777, path))
        }
    }
}
