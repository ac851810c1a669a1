import FoundationEssentials
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import FoundationShims
import Synchronization
import Git
import Queue

/// Runs a batch: its own queue and worker processes, a worktree per worker and repository, a
/// commit per task, results and the merge report written into the batch directory.
public final class BatchRun: Sendable {
    /// What a finished (or interrupted) batch produced.
    public struct Outcome: Sendable {
        public var record: BatchRecord
        /// Every task's final record, in task order (earlier runs' successes included on resume).
        public var results: [TaskResult]
        public var summary: RunSummary
        /// True when the run was interrupted (Ctrl-C).
        public var interrupted: Bool
    }

    public let plan: BatchPlan
    private let orchestratorOptions: OrchestratorOptions
    private let launch: WorkerLaunch
    private let provisioner: WorktreeProvisioner
    /// The orchestrator while it runs.
    private let running = Mutex<Orchestrator?>(nil)
    /// Raised by `interrupt`, also before the run begins (while the workers start).
    private let interruption = CancellationFlag()

    /// - Parameters:
    ///   - options: retries, timeouts, job log and event hooks; the placement and journal are the batch's.
    ///   - executable: the program the workers run (default: this one; see `WorkerLaunch`).
    public init(plan: BatchPlan, options: OrchestratorOptions, executable: String? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.plan = plan
        var options = options
        options.journalPath = plan.record.journalFile
        provisioner = WorktreeProvisioner(plan: plan)
        options.placement = { [provisioner] task, worker in try provisioner.placement(for: task, worker: worker) }
        orchestratorOptions = options
        let firstRepo = plan.record.repos.first?.path ?? FileManager.default.currentDirectoryPath
        launch = WorkerLaunch(directory: firstRepo, agent: plan.record.agent, executable: executable, environment: environment)
    }

    /// Plans a new batch and creates its directory. Without a name the default one is taken; when
    /// another batch started in the same second took it first, the next free one is.
    ///
    /// - Parameter check: what the plan must pass before anything is written (a remote batch's
    ///   base must be on its remote), returning the plan to create.
    /// - Throws: what `BatchPlan.make`, `check` and `create` throw.
    public static func start(_ file: TasksFile, tasksData: Data, options: BatchPlan.Options,
                             checking check: (BatchPlan) throws -> BatchPlan = { $0 }) throws -> BatchPlan {
        while true {
            do {
                return try create(try check(BatchPlan.make(file, options: options)), tasksData: tasksData)
            } catch BatchError.exists where options.name == nil {
                continue
            }
        }
    }

    /// Creates the batch directory and writes `batch.json` and the copy of the tasks file; a
    /// `--pool` batch claims its worktrees from each repository's pool first.
    ///
    /// - Returns: the plan, its record naming the pool entries claimed.
    public static func create(_ plan: BatchPlan, tasksData: Data) throws -> BatchPlan {
        var plan = plan
        let store = BatchStore(path: Path.parent(plan.record.directory))
        try PrivateDirectory.make(store.path)
        guard mkdir(plan.record.directory, 0o700) == 0 else {
            throw errno == EEXIST ? BatchError.exists(plan.record.directory) : QueueError.io("create \(plan.record.directory)", errno)
        }
        do {
            // The pool's entries held by a batch whose directory does not exist are free again,
            // so a batch that could not be created leaves none held.
            if plan.record.pooled == true {
                for index in plan.record.repos.indices {
                    let repo = plan.record.repos[index]
                    let claimed = try plan.record.pool(of: repo)
                        .claim(plan.record.workers, for: plan.record.name, store: store.path, repository: repo.path)
                    plan.record.repos[index].pool = claimed.entries
                    plan.record.repos[index].poolTag = claimed.tag
                }
            }
            try AtomicFile.write(tasksData, to: plan.record.tasksCopy)
            try store.save(plan.record)
        } catch {
            // A batch directory that could not be written whole (a full disk, say) is not left behind.
            try? FileManager.default.removeItem(atPath: plan.record.directory)
            throw error
        }
        return plan
    }

    /// Runs the tasks of the plan that have not succeeded yet (all of them in a new batch).
    ///
    /// - Throws: `WorkerPoolError` when the workers do not start, `QueueError` on disk trouble.
    public func run() throws -> Outcome {
        let record = plan.record
        try Self.waitForSlotsToFree(record)
        let previous = try recoverResults()
        let remaining = plan.tasks.filter { previous[$0.id]?.result.status != .done }
        var options = orchestratorOptions
        options.preferredWorker = { task in previous[task.id]?.worker }
        let attempts = try Self.attemptsStarted(journal: record.journalFile)
        options.priorAttempts = { task in attempts[task.id] ?? 0 }
        // Worktrees are checked out while the workers start.
        let worktreesReady = DispatchGroup()
        if previous.isEmpty {
            DispatchQueue(label: "conductor.batch.worktrees").async(group: worktreesReady) { [provisioner] in
                provisioner.prepareFirstWorktrees()
            }
        }
        let orchestrator: Orchestrator
        do {
            orchestrator = try Orchestrator(workers: record.workers, queue: record.queue, options: options, launch: launch)
        } catch {
            worktreesReady.wait()
            throw error
        }
        worktreesReady.wait()
        running.withLock { $0 = orchestrator }
        defer {
            orchestrator.shutdown()
            running.withLock { $0 = nil }
        }
        let started = Date()
        let report = try orchestrator.run(remaining, sequential: record.sequential, options: options, cancellation: interruption)
        var byID = previous
        for result in report.results { byID[result.task.id] = result }
        let results = plan.tasks.compactMap { byID[$0.id] }
        try Self.writeResults(results, to: record.resultsFile)
        return Outcome(record: record, results: results,
                       summary: RunSummary(results: results, durationMs: Int(Date().timeIntervalSince(started) * 1000)),
                       interrupted: interruption.isRaised)
    }

    /// Stops the batch as Ctrl-C should: no new tasks, running ones ended (their process groups)
    /// and recorded `cancelled`, their work left in the worktrees. Callable from any thread.
    public func interrupt() {
        interruption.raise()
        running.withLock { $0 }?.stopWorkers()
    }

    /// The final record of every task from earlier runs of this batch: the journal's, plus results
    /// a worker wrote for an assignment whose result the journal never got (the batch process was
    /// killed in between). Those are journaled now, so a task that finished is never run again.
    private func recoverResults() throws -> [String: TaskResult] {
        let record = plan.record
        var results = try Self.finalResults(journal: record.journalFile)
        let entries = try Journal.read(record.journalFile)
        let answered = Set(entries.filter { $0.event == .result }.compactMap(\.seq))
        var recovered: [TaskResult] = []
        for assignment in entries where assignment.event == .assign {
            guard let seq = assignment.seq, !answered.contains(seq), let worker = assignment.worker,
                  let task = plan.tasks.first(where: { $0.id == assignment.task }),
                  let outcome = try? record.queue.slot(worker).readResult(), outcome.seq == seq, outcome.taskId == task.id,
                  results[task.id]?.result.status != .done else { continue }
            let result = TaskResult(task: task, worker: worker, result: .init(outcome))
            results[task.id] = result
            recovered.append(result)
        }
        if !recovered.isEmpty {
            let journal = try Journal(path: record.journalFile)
            for result in recovered {
                journal.append(.result, task: result.task.id, worker: result.worker, seq: result.result.seq,
                               attempt: result.result.attempts, status: result.result.status,
                               reason: "recovered from the worker's result.json", record: result)
            }
            try journal.sync()
        }
        return results
    }

    /// The last final record of every task in a batch journal.
    public static func finalResults(journal: String) throws -> [String: TaskResult] {
        var results: [String: TaskResult] = [:]
        for entry in try Journal.read(journal) where entry.event == .result {
            if let record = entry.record { results[record.task.id] = record }
        }
        return results
    }

    /// How many attempts of each task earlier runs of this batch started (its last assignment's
    /// attempt number), so a re-run counts on from there.
    static func attemptsStarted(journal: String) throws -> [String: Int] {
        var attempts: [String: Int] = [:]
        for entry in try Journal.read(journal) where entry.event == .assign {
            guard let task = entry.task, let attempt = entry.attempt else { continue }
            attempts[task] = max(attempts[task] ?? 0, attempt)
        }
        return attempts
    }

    /// Workers of an earlier, killed run of this batch end when they notice their parent is gone;
    /// wait (briefly) for them to release their slots.
    private static func waitForSlotsToFree(_ record: BatchRecord) throws {
        if let pid = FileLock.holder(of: record.queue.orchestratorLockFile) {
            throw BatchError.running(name: record.name, pid: pid)
        }
        let deadline = Date().addingTimeInterval(15)
        for worker in 0..<record.workers {
            _ = Polling.wait(until: deadline, every: 0.05) { record.queue.slot(worker).liveOwner() == nil }
        }
    }

    /// `results.jsonl`: one final record per line, in task order.
    static func writeResults(_ results: [TaskResult], to path: String) throws {
        var data = Data()
        for result in results {
            data.append(try QueueJSON.encoder.encode(result))
            data.append(0x0A)
        }
        try AtomicFile.write(data, to: path, durable: true)
    }
}
