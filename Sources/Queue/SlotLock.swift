import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

/// The mutex that makes one live process the owner of a worker slot.
///
/// On disk it is the seed's `.lock/` directory, taken with `mkdir`, holding `pid` (the owner's pid
/// on the first line, its start time in clock ticks on the second). The owner also holds an
/// `flock` on `pid` for as long as it lives; the kernel releases it when the process dies, however
/// it dies. So "is the owner alive?" is answered by trying that lock, which no reused pid can fool.
///
/// A stale lock (its `flock` free) is taken over under a second `flock` on `.lock.takeover`, so two
/// contenders can never both win: the loser sees the winner's live lock and backs off.
package final class SlotLock {
    /// Who holds (or held) a lock.
    package struct Owner: Sendable, Equatable {
        package let pid: Int32
        /// The owner's start time in clock ticks since boot (`/proc/<pid>/stat` field 22).
        package let startTime: UInt64?

        package init(pid: Int32, startTime: UInt64?) {
            self.pid = pid
            self.startTime = startTime
        }
    }

    /// What a look at a slot's lock finds.
    package enum Probe: Sendable, Equatable {
        /// No lock directory.
        case free
        /// A live process holds the lock.
        case held(Owner)
        /// A lock whose owner is gone (nil when it died before writing its pid).
        case stale(Owner?)
        /// A lock directory created a moment ago whose owner is still writing its pid.
        case forming
    }

    /// A lock directory without a pid file younger than this is still being set up by its owner.
    static let formingGracePeriod: TimeInterval = 5

    package let slot: WorkerSlot
    private var descriptor: Int32

    private init(slot: WorkerSlot, descriptor: Int32) {
        self.slot = slot
        self.descriptor = descriptor
    }

    deinit {
        release()
    }

    /// Takes the slot's lock for this process.
    ///
    /// - Parameter log: told when a stale lock is taken over, and whose it was.
    /// - Throws: `QueueError.slotOwned` when a live process holds it.
    package static func acquire(_ slot: WorkerSlot, log: (String) -> Void = { _ in }) throws -> SlotLock {
        if mkdir(slot.lockDirectory, 0o700) == 0 {
            return SlotLock(slot: slot, descriptor: try writeOwnerFile(in: slot))
        }
        guard errno == EEXIST else { throw QueueError.io("mkdir \(slot.lockDirectory)", errno) }

        let guardFile = open("\(slot.path)/.lock.takeover", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard guardFile >= 0 else { throw QueueError.io("open \(slot.path)/.lock.takeover", errno) }
        defer { close(guardFile) }
        while flock(guardFile, LOCK_EX) != 0 {
            guard errno == EINTR else { throw QueueError.io("flock \(slot.path)/.lock.takeover", errno) }
        }
        switch probe(slot) {
        case .held(let owner):
            throw QueueError.slotOwned(slot: slot.path, pid: owner.pid)
        case .forming:
            throw QueueError.slotOwned(slot: slot.path, pid: 0)
        case .free:
            break
        case .stale(let previous):
            let aside = "\(slot.lockDirectory).stale.\(getpid())"
            if rename(slot.lockDirectory, aside) != 0 && errno != ENOENT {
                throw QueueError.io("rename \(slot.lockDirectory)", errno)
            }
            try? FileManager.default.removeItem(atPath: aside)
            log("took over the stale lock of worker slot \(slot.path) (previous owner pid \(previous.map { String($0.pid) } ?? "unknown") is gone)")
        }
        guard mkdir(slot.lockDirectory, 0o700) == 0 else {
            if errno == EEXIST {
                if case .held(let owner) = probe(slot) { throw QueueError.slotOwned(slot: slot.path, pid: owner.pid) }
                throw QueueError.slotOwned(slot: slot.path, pid: 0)
            }
            throw QueueError.io("mkdir \(slot.lockDirectory)", errno)
        }
        return SlotLock(slot: slot, descriptor: try writeOwnerFile(in: slot))
    }

    /// Looks at the slot's lock without taking it.
    package static func probe(_ slot: WorkerSlot) -> Probe {
        let pidFile = "\(slot.lockDirectory)/pid"
        let fd = open(pidFile, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            var info = stat()
            guard lstat(slot.lockDirectory, &info) == 0 else { return .free }
            let age = Date().timeIntervalSince1970 - TimeInterval(info.st_mtim.tv_sec)
            return age < formingGracePeriod ? .forming : .stale(nil)
        }
        defer { close(fd) }
        let owner = readOwner(fd)
        if flock(fd, LOCK_SH | LOCK_NB) != 0 {
            return owner.map(Probe.held) ?? .forming
        }
        flock(fd, LOCK_UN)
        return .stale(owner)
    }

    /// Gives the slot up: removes `.lock/` and drops the `flock`. Safe to call twice.
    package func release() {
        guard descriptor >= 0 else { return }
        unlink("\(slot.lockDirectory)/pid")
        rmdir(slot.lockDirectory)
        close(descriptor)
        descriptor = -1
    }

    /// Writes `.lock/pid` under a temporary name, locks it, then renames it into place, so the
    /// file is already locked the moment anyone can see it.
    private static func writeOwnerFile(in slot: WorkerSlot) throws -> Int32 {
        let temporary = "\(slot.lockDirectory)/pid.\(getpid()).tmp"
        let fd = open(temporary, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let code = errno
            rmdir(slot.lockDirectory)
            throw QueueError.io("create \(temporary)", code)
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(fd)
            unlink(temporary)
            rmdir(slot.lockDirectory)
            throw QueueError.io("flock \(temporary)", code)
        }
        let text = "\(getpid())\n\(ProcessInfo.startTime(of: getpid()).map(String.init) ?? "")\n"
        guard RawFile.write(Data(text.utf8), to: fd), rename(temporary, "\(slot.lockDirectory)/pid") == 0 else {
            let code = errno
            close(fd)
            unlink(temporary)
            rmdir(slot.lockDirectory)
            throw QueueError.io("write \(slot.lockDirectory)/pid", code)
        }
        return fd
    }

    private static func readOwner(_ fd: Int32) -> Owner? {
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = pread(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        let lines = String(decoding: buffer[0..<count], as: UTF8.self).split(separator: "\n")
        guard let first = lines.first, let pid = Int32(first) else { return nil }
        return Owner(pid: pid, startTime: lines.dropFirst().first.flatMap { UInt64($0) })
    }
}
