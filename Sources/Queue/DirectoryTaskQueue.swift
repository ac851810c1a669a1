import FoundationEssentials
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

/// Tasks in files of one directory, claimed as leases: the queue of a shared batch for workers
/// that share a filesystem (several worker processes on one host, containers sharing a volume).
/// It keeps the rules of `TaskQueue` as `PostgresTaskQueue` does, in files `ls`, `cat` and `jq` read:
///
///     DIR/queue.json          {"kind": "tasks", "version": 1}
///     DIR/batches/B.json      batch B: {"batch", "tasks": [{id, spec, state, attempts, expiries,
///                             expiryLimit, stopsBatch, claimedBy, leaseUntil, token, result,
///                             submitSeq, submittedAt}]}, tasks in submission order
///     DIR/journal.jsonl       one line per event: {seq, at, batch, task, event, attempt, worker}
///     DIR/counters.json       {"seq", "token"}: the last journal seq and claim token given out
///     DIR/wake                rewritten when tasks are submitted or put back
///     DIR/step.json           a change being written (`DirectoryQueueStepRecord`), briefly
///     DIR/names/N.lock        held (`flock`) by the live worker named N, with its label
///     DIR/.lock               held (`flock`) for the whole of every change
///
/// Every change takes the exclusive `flock` on `.lock`, reads the files it needs, and writes
/// them back (each replaced whole, never edited in place) with its journal lines before letting
/// go: changes are atomic across processes and hosts whose filesystem honours `flock` across
/// them. `rows` and `journal` read without the lock, seeing each file whole.
///
/// Leases are measured by the wall clock of the host that writes them: hosts sharing the
/// directory need synchronized clocks (NTP), or one host's workers expire another's leases early.
/// On a network filesystem `flock` must reach the server (Linux's NFS client maps it to NFS
/// locks), and inotify sees only this host's changes: a worker woken by another host's submit
/// wakes at its wait's timeout, or within 20 ms with `CONDUCTOR_WATCH=poll`.
///
/// A change is all or nothing: written whole to `step.json` before it is applied, it is finished
/// by the next change when its process was killed halfway (`DirectoryQueueStepRecord`). Files
/// are not synced (`fsync`): a machine crash may lose the last changes.
///
/// Each claim reads and rewrites its batch's whole file: about 7 ms per claim and completion
/// for a batch of 100 tasks, 60 ms for one of 1,000 (release build, 2 cores). One object per
/// thread, as with a connection.
public final class DirectoryTaskQueue: TaskQueue {
    /// The version of `queue.json` this code writes and reads.
    public static let formatVersion = 1
    let layout: DirectoryQueueLayout
    private let lockDescriptor: Int32
    /// The worker names this object holds (`holdWorkerName`).
    var nameLocks: [FileLock] = []
    /// Set by `listenForWork`: the watcher of `wake`, and its contents when last seen.
    var wakeWatcher: DirectoryWatcher?
    var lastWake: Data?

    /// Opens the queue in `directory`, creating it (mode 0700) when it does not exist.
    ///
    /// - Throws: `TaskQueueError.newerFormat` when a newer conductor made it;
    ///   `TaskQueueError.notATaskQueue` when the directory holds something else;
    ///   `QueueError` when it cannot be made or is unsafe (another user's, writable by others).
    public init(directory: String) throws {
        layout = DirectoryQueueLayout(directory: Path.absolute(directory))
        try PrivateDirectory.make(layout.directory)
        let fd = open(layout.lockFile, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw errno == ELOOP ? QueueError.symlink(layout.lockFile) : QueueError.io("open \(layout.lockFile)", errno) }
        lockDescriptor = fd
        try withLock { try openOrCreateFormat() }
    }

    deinit {
        close(lockDescriptor)
    }

    /// Checks `queue.json`, or writes it (with the directory's subdirectories) in a directory
    /// that holds nothing else yet.
    private func openOrCreateFormat() throws {
        let wanted = DirectoryQueueFormat(kind: "tasks", version: Self.formatVersion)
        let format: DirectoryQueueFormat?
        do {
            format = try AtomicFile.readJSON(DirectoryQueueFormat.self, from: layout.formatFile)
        } catch QueueError.malformed(_, let why) {
            throw TaskQueueError.notATaskQueue(directory: layout.directory, why: "its queue.json is not {\"kind\": \"tasks\", \"version\": N} (\(why))")
        }
        if let format {
            guard format.kind == wanted.kind else {
                throw TaskQueueError.notATaskQueue(directory: layout.directory, why: "its queue.json says kind \"\(format.kind)\"")
            }
            guard format.version <= wanted.version else {
                throw TaskQueueError.newerFormat(directory: layout.directory, found: format.version, known: wanted.version)
            }
        } else {
            let others = try FileManager.default.contentsOfDirectory(atPath: layout.directory).filter { !$0.hasPrefix(".") || $0 == ".git" }
            guard others.isEmpty else {
                throw TaskQueueError.notATaskQueue(directory: layout.directory, why: "it has no queue.json but holds \(others.sorted().prefix(3).joined(separator: ", "))")
            }
            try AtomicFile.writeJSON(wanted, to: layout.formatFile)
        }
        try PrivateDirectory.make(layout.batchesDirectory)
        try PrivateDirectory.make(layout.namesDirectory)
    }

    /// Runs `body` under the queue's exclusive lock.
    private func withLock<Value>(_ body: () throws -> Value) throws -> Value {
        while flock(lockDescriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw QueueError.io("flock \(layout.lockFile)", errno) }
        }
        defer { flock(lockDescriptor, LOCK_UN) }
        return try body()
    }

    /// Runs `body` as one step under the lock, then writes what it changed and journaled. A
    /// step that throws writes nothing.
    func step<Value>(_ body: (inout DirectoryQueueStep) throws -> Value) throws -> Value {
        try withLock {
            try DirectoryQueueStepRecord.finishInterrupted(in: layout)
            var step = try DirectoryQueueStep(layout: layout)
            let value = try body(&step)
            try step.commit()
            return value
        }
    }

    /// Refuses a name that cannot be part of a file name here.
    ///
    /// - Throws: `TaskQueueError.unusableName`.
    static func checkName(_ name: String, kind: String) throws {
        guard !name.isEmpty, !name.hasPrefix("."), !name.contains("/"), !name.contains("\0") else {
            throw TaskQueueError.unusableName(kind: kind, name: name)
        }
    }

    /// Adds `tasks` to `batch`, all or none.
    ///
    /// - Throws: `TaskQueueError.duplicateTask` when an id is in the batch already (or twice in
    ///   `tasks`), `.invalidJSON` when a spec is not JSON, `.unusableName` for a batch name
    ///   that cannot name a file.
    public func submit(batch: String, tasks: [TaskSubmission]) throws {
        try Self.checkName(batch, kind: "batch")
        let specs = try tasks.map { try EmbeddedJSON("spec", of: $0.id, batch: batch, text: $0.spec) }
        try step { step in
            var file = try step.batch(batch) ?? DirectoryBatch(batch: batch, tasks: [])
            var ids = Set(file.tasks.map(\.id))
            for (task, spec) in zip(tasks, specs) {
                guard ids.insert(task.id).inserted else { throw TaskQueueError.duplicateTask(batch: batch, task: task.id) }
                let seq = step.journal(batch: batch, task: task.id, event: "submit", attempt: 0, worker: nil)
                file.tasks.append(DirectoryTask(id: task.id, spec: spec, state: .queued, attempts: 0, expiries: 0, expiryLimit: task.expiryLimit,
                                                stopsBatch: task.stopsBatch, submitSeq: seq, submittedAt: step.now))
            }
            step.store(file)
            step.wakesWorkers = true
        }
    }

    /// Claims the oldest queued task (of `batch`, or of any batch: the first submitted) for
    /// `worker` with a lease of `lease` seconds; nil when nothing can be claimed. A batch that a
    /// failed `stopsBatch` task stopped is passed over.
    public func claim(worker: String, lease: Double, batch: String? = nil) throws -> TaskClaim? {
        try batch.map { try Self.checkName($0, kind: "batch") }
        return try step { step in
            var next: (batch: DirectoryBatch, index: Int)?
            for name in try batch.map({ [$0] }) ?? layout.batchNames() {
                guard let file = try step.batch(name), file.stopper == nil,
                      let index = file.tasks.firstIndex(where: { $0.state == .queued }) else { continue }
                if let best = next, best.batch.tasks[best.index].submitSeq < file.tasks[index].submitSeq { continue }
                next = (file, index)
            }
            guard let (found, index) = next else { return nil }
            var file = found
            file.tasks[index].state = .claimed
            file.tasks[index].attempts += 1
            file.tasks[index].claimedBy = worker
            file.tasks[index].leaseUntil = step.leaseEnd(lease)
            file.tasks[index].token = step.nextToken()
            let task = file.tasks[index]
            step.journal(batch: file.batch, task: task.id, event: "claim", attempt: task.attempts, worker: worker)
            step.store(file)
            return TaskClaim(batch: file.batch, task: task.id, spec: task.spec.text, attempt: task.attempts, token: task.token ?? 0)
        }
    }

    /// Renews the lease of `claim` for `lease` seconds; false when it is no longer the task's
    /// current claim (the lease ran out and the task went back, or was claimed again).
    public func heartbeat(_ claim: TaskClaim, lease: Double) throws -> Bool {
        try step { step in
            guard var file = try step.batch(claim.batch), let index = file.index(of: claim.task),
                  file.tasks[index].isHeld(by: claim, at: step.now) else { return false }
            file.tasks[index].leaseUntil = step.leaseEnd(lease)
            step.store(file)
            return true
        }
    }

    /// Records the result (JSON) of `claim` as done or failed; false, and nothing recorded, when
    /// its lease was lost. A failure of a task that stops its batch skips the batch's queued tasks.
    ///
    /// - Throws: `TaskQueueError.invalidJSON` when `result` is not JSON.
    public func complete(_ claim: TaskClaim, succeeded: Bool, result: String) throws -> Bool {
        let value = try EmbeddedJSON("result", of: claim.task, batch: claim.batch, text: result)
        return try step { step in
            guard var file = try step.batch(claim.batch), let index = file.index(of: claim.task),
                  file.tasks[index].isHeld(by: claim, at: step.now) else { return false }
            file.tasks[index].state = succeeded ? .done : .failed
            file.tasks[index].result = value
            file.tasks[index].leaseUntil = nil
            step.journal(batch: claim.batch, task: claim.task, event: succeeded ? "done" : "failed", attempt: claim.attempt,
                         worker: file.tasks[index].claimedBy)
            if !succeeded { Self.skipQueuedTasksIfStopped(&file, in: &step) }
            step.store(file)
            return true
        }
    }

    /// Gives `claim` back to the queue before its lease runs out (its worker is stopping); its
    /// next claim counts one attempt more (but no lease expiry), unless its batch was stopped
    /// meanwhile: then it is skipped. False when it was no longer this worker's claim.
    @discardableResult
    public func release(_ claim: TaskClaim) throws -> Bool {
        try step { step in
            guard var file = try step.batch(claim.batch), let index = file.index(of: claim.task),
                  file.tasks[index].isHeld(by: claim, at: step.now) else { return false }
            file.tasks[index].state = .queued
            file.tasks[index].leaseUntil = nil
            step.journal(batch: claim.batch, task: claim.task, event: "released", attempt: claim.attempt, worker: file.tasks[index].claimedBy)
            step.wakesWorkers = true
            Self.skipQueuedTasksIfStopped(&file, in: &step)
            step.store(file)
            return true
        }
    }
}
