import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on a file holding the owner's pid, released by the kernel when the owner
/// dies. Used for "one orchestrator per queue".
package final class FileLock {
    package let path: String
    private var descriptor: Int32

    /// Takes the lock, waiting for the holder to finish when `wait` is true.
    ///
    /// - Throws: `QueueError.orchestratorRunning` with the holder's pid when it is taken (and
    ///   `wait` is false).
    package init(path: String, wait: Bool = false) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw errno == ELOOP ? QueueError.symlink(path) : QueueError.io("open \(path)", errno) }
        if wait {
            while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = Self.readPid(fd)
            close(fd)
            throw QueueError.orchestratorRunning(root: Path.parent(path), pid: holder ?? 0)
        }
        ftruncate(fd, 0)
        let text = Array("\(getpid())\n".utf8)
        _ = pwrite(fd, text, text.count, 0)
        self.path = path
        descriptor = fd
    }

    deinit {
        release()
    }

    /// Drops the lock. Safe to call twice.
    package func release() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }

    /// The pid of the live holder of the lock at `path`, or nil when nobody holds it.
    package static func holder(of path: String) -> Int32? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return nil
        }
        return readPid(fd) ?? 0
    }

    private static func readPid(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = pread(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[0..<count], as: UTF8.self).trimmed)
    }
}
