import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

/// A failure of the on-disk queue, worded for the person who has to fix it.
public enum QueueError: Error, CustomStringConvertible, Equatable {
    /// A system call failed: what was being done and `errno`.
    case io(String, Int32)
    /// A symlink sits where a queue file or directory belongs.
    case symlink(String)
    /// A queue file holds something other than the expected JSON.
    case malformed(String, String)
    /// A live worker process already owns the slot.
    case slotOwned(slot: String, pid: Int32)
    /// The queue directory is unsafe to use (owned by another user, or writable by others).
    case unsafeDirectory(String, String)
    /// Another orchestrator is running on the same queue.
    case orchestratorRunning(root: String, pid: Int32)

    public var description: String {
        switch self {
        case .io(let what, let code):
            let hint = code == ENOSPC ? " (the disk is full: free space and retry)" : code == EACCES ? " (permission denied)" : ""
            return "\(what): \(String(cString: strerror(code)))\(hint)"
        case .symlink(let path):
            return "\(path) is a symlink; conductor does not follow symlinks in its queue. Remove it."
        case .malformed(let path, let why):
            return "\(path): \(why)"
        case .slotOwned(let slot, 0):
            return "worker slot \(slot) is being claimed by another worker process right now; use another worker id"
        case .slotOwned(let slot, let pid):
            return "worker slot \(slot) is owned by a live worker (pid \(pid)); stop it first (kill \(pid)) or use another worker id"
        case .unsafeDirectory(let path, let why):
            return "refusing to use \(path): \(why)"
        case .orchestratorRunning(let root, let pid):
            return "another orchestrator (pid \(pid)) is running on the queue \(root); wait for it or stop it"
        }
    }
}
