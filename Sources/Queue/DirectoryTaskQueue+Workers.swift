import FoundationEssentials
import FoundationShims

/// What a worker needs of the queue besides its tasks: a name of its own, and sleeping until
/// there is work.
extension DirectoryTaskQueue {
    /// Holds worker name `name` while this queue object lives (the kernel lets go of it when the
    /// process dies): an exclusive `flock` on `names/<name>.lock`, which holds `label`.
    ///
    /// - Throws: `TaskQueueError.workerNameTaken` with the holder's label when a live worker
    ///   holds the name; `.unusableName` for a name that cannot name a file.
    public func holdWorkerName(_ name: String, label: String) throws {
        try Self.checkName(name, kind: "worker")
        let path = layout.nameLock(name)
        guard !nameLocks.contains(where: { $0.path == path }) else { return }
        nameLocks.append(try FileLock(path: path, label: label + "\n") { _, holder in
            TaskQueueError.workerNameTaken(name, holder: holder?.trimmed)
        })
    }

    /// Starts watching for tasks submitted or put back, for `waitForWork`. Call it once, before
    /// the first claim.
    public func listenForWork() throws {
        guard wakeWatcher == nil else { return }
        wakeWatcher = try DirectoryWatcher(directories: [layout.directory], names: [Path.name(layout.wakeFile)])
        lastWake = try AtomicFile.read(layout.wakeFile)
    }

    /// Waits until tasks are submitted or put back (by any process) since `listenForWork` or
    /// the last wait that returned true, at most `timeout` seconds; true when woken. A timeout
    /// is when to look anyway.
    public func waitForWork(timeout: Double) throws -> Bool {
        try listenForWork()
        guard let watcher = wakeWatcher else { return false }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let wake = try AtomicFile.read(layout.wakeFile)
            if wake != lastWake {
                lastWake = wake
                return true
            }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { return false }
            watcher.wait(timeout: remaining)
        }
    }
}
