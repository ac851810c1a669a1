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

    /// Takes the lock, waiting for the holder to finish when `wait` is true, and writes `label`
    /// (by default this process's pid) into the file for whoever is refused.
    ///
    /// - Parameter refusal: the error thrown when a live holder has the lock (and `wait` is
    ///   false), given the lock's path and the holder's label.
    /// - Throws: `refusal`'s error; by default `QueueError.orchestratorRunning` with the holder's pid.
    package init(path: String, label: String = "\(getpid())\n", wait: Bool = false,
                 refusal: (_ path: String, _ holder: String?) -> Error = FileLock.orchestratorRunning) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw errno == ELOOP ? QueueError.symlink(path) : QueueError.io("open \(path)", errno) }
        if wait {
            while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = Self.readLabel(fd)
            close(fd)
            throw refusal(path, holder)
        }
        ftruncate(fd, 0)
        let text = Array(label.utf8)
        _ = pwrite(fd, text, text.count, 0)
        self.path = path
        descriptor = fd
    }

    /// The refusal of an orchestrator's lock: another orchestrator (`holder` is its pid) runs on the queue.
    package static func orchestratorRunning(path: String, holder: String?) -> Error {
        QueueError.orchestratorRunning(root: Path.parent(path), pid: holder.flatMap { Int32($0.trimmed) } ?? 0)
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
        return readLabel(fd).flatMap { Int32($0.trimmed) } ?? 0
    }

    /// What the holder wrote into the lock file (at most 256 bytes); nil when it is empty.
    private static func readLabel(_ fd: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = pread(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }
}
