import FoundationEssentials
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

/// Directories only this user may write to: the queue, the batch store, logs, sessions.
package enum PrivateDirectory {
    /// Creates `path` and its missing parents; the directory itself is made 0700 and checked.
    ///
    /// - Throws: `QueueError.unsafeDirectory` when it exists but belongs to another user or is
    ///   writable by group or others; `QueueError.symlink` when it is a symlink.
    package static func make(_ path: String) throws {
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
