import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// The lock file that git and libgit2 hold while they update a reference (`<ref>.lock` beside
/// it): libgit2 makes it exclusively, keeps the new value in memory, and at the end writes it and
/// renames the file onto the reference, by path. A process killed in between leaves it, and
/// every later update of that reference is refused until it is removed.
///
/// Neither its age nor its contents tell a dead holder from a stopped one (a paused VM, a
/// SIGSTOP): libgit2 writes nothing to it until its rename. So conductor holds a lock of its own
/// around its updates (`ReferenceUpdateLock`), which the kernel drops when a process dies, and
/// removes a `<ref>.lock` only while holding that: then no conductor process is updating the
/// reference, and a lock file that stays unchanged for `staleAfter` seconds was left by a dead one.
struct ReferenceLock {
    let path: String

    enum Wait: Equatable {
        /// The lock is gone: its holder finished (or gave up).
        case released
        /// The lock stayed unchanged for the stale time, and was removed.
        case removedStale
        /// The lock was still there at the deadline.
        case held
    }

    /// The lock of reference `name` (`refs/heads/…`) of the repository whose files are in `directory`.
    init(reference name: String, inRepositoryFiles directory: String) {
        path = repositoryFile(name + ".lock", in: directory)
    }

    /// Waits, looking every 20 ms until `deadline`, for the lock to go; removes it once it has
    /// stayed the same file, unmodified, for `staleAfter` seconds of this process's watching
    /// (no clock of another host is compared). Call it only while holding the reference's
    /// `ReferenceUpdateLock`.
    func waitForRelease(staleAfter: Duration, until deadline: ContinuousClock.Instant) -> Wait {
        var watched: (file: stat, since: ContinuousClock.Instant)?
        while true {
            var seen = stat()
            guard lstat(path, &seen) == 0 else {
                // A holder that libgit2 sees but lstat does not (a reference behind a link): no busy loop.
                if watched == nil { usleep(20_000) }
                return .released
            }
            if let watched, Self.isSameFile(watched.file, seen) {
                if ContinuousClock.now - watched.since >= staleAfter { return unlink(path) == 0 ? .removedStale : .released }
            } else {
                watched = (seen, ContinuousClock.now)
            }
            guard ContinuousClock.now < deadline else { return .held }
            usleep(20_000)
        }
    }

    /// True when `a` and `b` describe one file, unmodified between them.
    private static func isSameFile(_ a: stat, _ b: stat) -> Bool {
        a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size
            && a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec
            && a.st_ctim.tv_sec == b.st_ctim.tv_sec && a.st_ctim.tv_nsec == b.st_ctim.tv_nsec
    }
}

/// The path of `name` in the repository files `directory` (libgit2 ends that path with `/`).
private func repositoryFile(_ name: String, in directory: String) -> String {
    (directory.hasSuffix("/") ? directory : directory + "/") + name
}

/// The lock every conductor process holds while it updates or deletes a reference of a path
/// remote: one byte, picked by the reference's name, of the file `conductor-reference-updates`
/// in the repository's files, locked with an open file description lock (`F_OFD_SETLK`). The
/// kernel drops it when the process dies, however it dies (and an NFSv4 server, when the
/// client's lease ends); a stopped process keeps it.
final class ReferenceUpdateLock {
    /// `F_OFD_SETLK` of Linux's `fcntl.h`, which Swift's Glibc module leaves out (it needs `_GNU_SOURCE`).
    private static let setOpenFileDescriptionLock: Int32 = 37
    static let fileName = "conductor-reference-updates"
    private let descriptor: Int32
    private let byte: Int

    /// Opens (making it if needed) the lock file in `directory`, the repository's files; nothing is locked yet.
    init(reference name: String, inRepositoryFiles directory: String) throws {
        let path = repositoryFile(Self.fileName, in: directory)
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else {
            throw GitError.conductor("lock \(name)", "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        byte = Self.byte(of: name)
    }

    deinit { close(descriptor) }

    /// The byte that stands for reference `name`: its FNV-1a hash, kept under 2^31 for file
    /// systems with 32-bit lock offsets. Two references on one byte only wait for each other.
    static func byte(of name: String) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for unit in name.utf8 { hash = (hash ^ UInt64(unit)) &* 0x100_0000_01b3 }
        return Int(hash & 0x7fff_ffff)
    }

    /// Takes the lock, trying every 20 ms until `deadline`; false when another process held it all along.
    func acquire(until deadline: ContinuousClock.Instant) -> Bool {
        while !set(F_WRLCK) {
            guard ContinuousClock.now < deadline else { return false }
            usleep(20_000)
        }
        return true
    }

    func release() {
        _ = set(F_UNLCK)
    }

    private func set(_ type: Int32) -> Bool {
        var request = flock()
        request.l_type = Int16(type)
        request.l_whence = Int16(SEEK_SET)
        request.l_start = off_t(byte)
        request.l_len = 1
        return withUnsafeMutablePointer(to: &request) { fcntl(descriptor, Self.setOpenFileDescriptionLock, $0) } == 0
    }
}
