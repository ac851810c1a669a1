import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// The lock file that git and libgit2 hold while they update a reference (`<ref>.lock` beside
/// it): made exclusively, written, then renamed onto the reference. A process killed in between
/// leaves it, and every later update of that reference is refused until it is removed.
struct ReferenceLock {
    let path: String

    enum Wait: Equatable {
        /// The lock is gone: its holder finished (or gave up).
        case released
        /// No process had modified the lock for the stale age, and it was removed.
        case removedStale
        /// The lock was still there, and in use, at the deadline.
        case held
    }

    /// The lock of reference `name` (`refs/heads/…`) of the repository whose files are in `directory`.
    init(reference name: String, inRepositoryFiles directory: String) {
        path = (directory.hasSuffix("/") ? directory : directory + "/") + name + ".lock"
    }

    /// Waits, looking every 20 ms until `deadline`, for the lock to go; removes it once no process
    /// has modified it for `staleAge` seconds. Its modification time is the holder's last write,
    /// so a lock in use is never removed, however long it is held.
    func waitForRelease(staleAge: TimeInterval, until deadline: Date) -> Wait {
        while true {
            var seen = stat()
            guard lstat(path, &seen) == 0 else { return .released }
            if Date().timeIntervalSince1970 - Self.modificationTime(seen) >= staleAge, removeIfStill(seen) { return .removedStale }
            guard Date() < deadline else { return .held }
            usleep(20_000)
        }
    }

    /// Removes the lock if it is still the file `seen` describes, unmodified since.
    private func removeIfStill(_ seen: stat) -> Bool {
        var now = stat()
        guard lstat(path, &now) == 0, now.st_dev == seen.st_dev, now.st_ino == seen.st_ino,
              Self.modificationTime(now) == Self.modificationTime(seen) else { return false }
        return unlink(path) == 0
    }

    private static func modificationTime(_ info: stat) -> TimeInterval {
        TimeInterval(info.st_mtim.tv_sec) + TimeInterval(info.st_mtim.tv_nsec) / 1_000_000_000
    }
}
