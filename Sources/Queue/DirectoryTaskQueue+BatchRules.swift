import FoundationEssentials

/// What happens to tasks beyond claims: leases that ran out, a failure that stops its batch,
/// and `--resume` putting failed and skipped tasks back.
extension DirectoryTaskQueue {
    /// Puts every claim whose lease ran out back in the queue, or, when that was once more than
    /// its task's `expiryLimit`, fails the task (so that a task which kills every host it lands
    /// on cannot take down the whole fleet); a task of a stopped batch is skipped instead.
    /// Returns the tasks it put back (`batch/id`).
    @discardableResult
    public func requeueExpired() throws -> [String] {
        try step { step in
            var requeued: [(batch: String, task: String)] = []
            var failures: [(batch: String, task: DirectoryTask)] = []
            var touched: [String] = []
            for name in try layout.batchNames() {
                guard var file = try step.batch(name) else { continue }
                for index in file.tasks.indices where file.tasks[index].state == .claimed && (file.tasks[index].leaseUntil ?? .distantPast) <= step.now {
                    var task = file.tasks[index]
                    let failing = task.expiryLimit.map { task.expiries >= $0 } ?? false
                    task.expiries += 1
                    task.leaseUntil = nil
                    task.state = failing ? .failed : .queued
                    if let limit = task.expiryLimit, failing {
                        task.result = .object(["error": .string("its lease ran out \(task.expiries) time(s) (each time its worker's host died, "
                            + "was stopped or cut off), more than the \(limit) allowed (--retries); not queued again")])
                        failures.append((name, task))
                    } else {
                        requeued.append((name, task.id))
                    }
                    step.journal(batch: name, task: task.id, event: "expired", attempt: task.attempts, worker: task.claimedBy)
                    file.tasks[index] = task
                    if touched.last != name { touched.append(name) }
                }
                if touched.last == name { step.store(file) }
            }
            guard !touched.isEmpty else { return [] }
            for failure in failures {
                step.journal(batch: failure.batch, task: failure.task.id, event: "failed", attempt: failure.task.attempts, worker: failure.task.claimedBy)
            }
            step.wakesWorkers = true
            var skipped: Set<[String]> = []
            for name in touched {
                guard var file = try step.batch(name) else { continue }
                skipped.formUnion(Self.skipQueuedTasksIfStopped(&file, in: &step).map { [name, $0] })
                step.store(file)
            }
            return requeued.filter { !skipped.contains([$0.batch, $0.task]) }.sorted { [$0.batch, $0.task].lexicographicallyPrecedes([$1.batch, $1.task]) }
                .map { "\($0.batch)/\($0.task)" }
        }
    }

    /// Puts the failed and skipped tasks among `tasks` back in the queue (`--resume`), each with
    /// its spec and rules as given now and its lease expiries counted from zero again; attempts
    /// are kept, and tasks queued, claimed or done are left as they are. All or none; returns
    /// the ids put back.
    ///
    /// - Throws: `TaskQueueError.invalidJSON` when a spec is not JSON.
    public func resubmit(batch: String, tasks: [TaskSubmission]) throws -> [String] {
        try Self.checkName(batch, kind: "batch")
        let specs = try tasks.map { try EmbeddedJSON("spec", of: $0.id, batch: batch, text: $0.spec) }
        return try step { step in
            guard var file = try step.batch(batch) else { return [] }
            var requeued: [String] = []
            for (task, spec) in zip(tasks, specs) {
                guard let index = file.index(of: task.id), [.failed, .skipped].contains(file.tasks[index].state) else { continue }
                file.tasks[index].state = .queued
                file.tasks[index].spec = spec
                file.tasks[index].expiryLimit = task.expiryLimit
                file.tasks[index].stopsBatch = task.stopsBatch
                file.tasks[index].expiries = 0
                file.tasks[index].result = nil
                file.tasks[index].leaseUntil = nil
                step.journal(batch: batch, task: task.id, event: "requeued", attempt: file.tasks[index].attempts, worker: nil)
                requeued.append(task.id)
            }
            guard !requeued.isEmpty else { return [] }
            step.store(file)
            step.wakesWorkers = true
            return requeued
        }
    }

    /// Skips the queued tasks of `batch` when a failed task stops it, as a step of its own; the
    /// ids skipped. The coordinator sweeps with it, as it does on PostgreSQL (where a task given
    /// back at the very moment the stopper failed can stay queued); here every step sees the
    /// last, so it finds nothing unless a file was edited by hand.
    public func skipQueuedTasksOfStoppedBatch(_ batch: String) throws -> [String] {
        try Self.checkName(batch, kind: "batch")
        return try step { step in
            guard var file = try step.batch(batch) else { return [] }
            let skipped = Self.skipQueuedTasksIfStopped(&file, in: &step)
            if !skipped.isEmpty { step.store(file) }
            return skipped
        }
    }

    /// When `file`'s batch has a failed task that stops it, skips its queued tasks (each
    /// journaled `skipped`, its result naming the failed task), as a local batch skips what has
    /// not started; returns the ids skipped, sorted.
    @discardableResult
    static func skipQueuedTasksIfStopped(_ file: inout DirectoryBatch, in step: inout DirectoryQueueStep) -> [String] {
        guard let stopper = file.stopper else { return [] }
        var skipped: [String] = []
        for index in file.tasks.indices where file.tasks[index].state == .queued {
            file.tasks[index].state = .skipped
            file.tasks[index].result = .object(["error": .string("skipped: task \(stopper.id) failed and stops dispatch (stopOnError)")])
            step.journal(batch: file.batch, task: file.tasks[index].id, event: "skipped", attempt: file.tasks[index].attempts, worker: nil)
            skipped.append(file.tasks[index].id)
        }
        return skipped.sorted()
    }
}
