import FoundationEssentials
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif
import Queue

/// A remote worker's directory (`conductor worker NAME DIR`), held by one live worker at a time
/// (an `flock` on `DIR/.conductor-worker.lock`): its clones and worktrees are that worker's
/// alone. So when the next worker takes the directory it ends the tasks a killed worker left
/// running there (they would go on writing into the checkout the next task uses), then removes
/// the lock files git left behind (left in place, every fetch would fail on them).
struct RemoteWorkerDirectory {
    let path: String

    /// The queue directory of the worker's task runs (their logs), which also marks their
    /// processes: each has it as `CONDUCTOR_QUEUE` in its environment.
    var queue: QueueRoot { QueueRoot(path: Path.join(path, "queue")) }

    /// Takes the directory for this worker until the returned lock is released (or the process ends).
    ///
    /// - Throws: `RemoteTaskError` naming the live worker that holds it.
    func hold() throws -> FileLock {
        do {
            return try FileLock(path: Path.join(path, ".conductor-worker.lock"))
        } catch QueueError.orchestratorRunning(_, let pid) {
            throw RemoteTaskError("\(path) is used by another live worker (pid \(pid)); give each worker a directory of its own (two workers in one directory would share their checkouts)")
        }
    }

    /// Ends (SIGKILL) the task processes a worker of this directory left running when it was
    /// killed, and waits up to 10 s for them to be gone; how many there were. Call it only while
    /// holding the directory: then none is a live worker's.
    func endLeftoverTasks() -> Int {
        let marker = WorkerSlot.identity(queue: queue.path)
        let leftovers = ProcessInfo.processes(withEnvironment: marker)
        leftovers.forEach { kill($0, SIGKILL) }
        let deadline = Date().addingTimeInterval(10)
        while !ProcessInfo.processes(withEnvironment: marker).isEmpty, Date() < deadline { usleep(50_000) }
        return leftovers.count
    }

    /// Removes git's `*.lock` files from the clones in the directory (`<repo>-<hash>/clone/.git`,
    /// the worktrees' admin directories included, the object store left out) and returns their
    /// paths. Call it only while holding the directory: then no live worker is writing there.
    func removeStaleGitLocks() -> [String] {
        let clones = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).map { "\(path)/\($0)/clone/.git" }
        return clones.filter(Self.isRealDirectory).flatMap { Self.removeLocks(under: $0, except: "objects") }
    }

    private static func removeLocks(under directory: String, except skipped: String? = nil) -> [String] {
        var removed: [String] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where entry != skipped {
            let entryPath = "\(directory)/\(entry)"
            if isRealDirectory(entryPath) {
                removed += removeLocks(under: entryPath)
            } else if entry.hasSuffix(".lock"), unlink(entryPath) == 0 {
                removed.append(entryPath)
            }
        }
        return removed
    }

    /// True for a directory itself, not a symlink to one: the walk stays inside the clone.
    private static func isRealDirectory(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }
}
