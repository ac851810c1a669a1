import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif
import Git
import Queue
import Synchronization

/// The coordinator of a batch on a shared queue (issue 16): it submits the batch's tasks
/// with its options (or, for `--resume`, puts its failed and skipped tasks back), runs the local
/// workers it was asked for, reports progress from the queue's journal, and once every task is
/// done or failed fetches the workers' branches from the remote into the repository and writes
/// `results.jsonl`, so that `report`, `show`, `merge` and `prune` read the batch as a local one.
public final class RemoteBatchRun: Sendable {
    public let plan: BatchPlan
    private let queue: TaskQueueAddress
    private let executable: String
    private let environment: [String: String]
    private let log: @Sendable (String) -> Void
    private let interruption = CancellationFlag()
    /// Signalled by `interrupt`, so the wait between looks at the queue ends at once.
    private let wake = DispatchSemaphore(value: 0)
    /// Seconds between looks at the queue.
    private let pollInterval: Double
    private let progress: RemoteBatchProgress
    private let options: RemoteBatchOptions

    /// - Parameters:
    ///   - plan: a plan whose record has `remote` (see `RemoteBatchBase.check`).
    ///   - queue: the queue, its password included; only its `description` is ever shown.
    ///   - options: the batch's timeout, retries and stop-on-error, given to the tasks it
    ///     submits (or puts back).
    ///   - executable: the program the local workers run (default: this one).
    ///   - log: lines for people (local workers started again, branches not updated).
    public init(plan: BatchPlan, queue: TaskQueueAddress, options: RemoteBatchOptions = RemoteBatchOptions(), executable: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment,
                pollInterval: Double = 0.5, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.plan = plan
        progress = RemoteBatchProgress(batch: plan.record.name, tasks: plan.tasks)
        self.queue = queue
        self.options = options
        self.executable = executable ?? WorkerLaunch.runningProgram
        self.environment = environment
        self.pollInterval = pollInterval
        self.log = log
    }

    /// Runs the batch to its end (or until `interrupt`): every task done, failed or skipped on the queue.
    ///
    /// - Parameter events: progress, as a local batch's orchestrator reports it (`assigned`,
    ///   `retrying`, `finished`), its worker numbers named by `workerName(_:)`.
    /// While it runs, the coordinator holds the batch's lock (`<batch dir>/queue/orchestrator.lock`,
    /// as a local batch's orchestrator does), so `list` says running and `prune` waits.
    ///
    /// - Throws: `BatchError.running` when another coordinator of the batch runs, what opening the
    ///   queue throws when it cannot be reached, `RemoteTaskError` when the record is not a remote
    ///   batch's, `GitError` when the remote cannot be fetched at the end.
    public func run(events: (OrchestratorEvent) -> Void = { _ in }) throws -> BatchRun.Outcome {
        var record = plan.record
        guard let remote = record.remote else {
            throw RemoteTaskError("batch \(record.name) did not run on a shared queue (its batch.json has no \"remote\"); run it with conductor batch --resume, without --queue")
        }
        try FileManager.default.createDirectory(atPath: record.queue.path, withIntermediateDirectories: true)
        let lock: FileLock
        do {
            lock = try FileLock(path: record.queue.orchestratorLockFile)
        } catch QueueError.orchestratorRunning(_, let pid) {
            throw BatchError.running(name: record.name, pid: pid)
        }
        defer { lock.release() }
        let tasks = try connect()
        let submitted = try tasks.rows(batch: record.name)
        // On --resume, the tasks submitted to the batch since (conductor submit -n NAME) too.
        progress.learn(submitted)
        let submissions = try RemoteTask.submissions(progress.tasks, batch: record.name, remote: remote.remoteURL, base: record.repos[0].baseCommit,
                                                     agent: record.agent, options: options)
        // Tasks not on the queue yet (a new batch's; or a coordinator died before it submitted
        // them, and tasks were submitted to the batch since) are submitted; failed and skipped
        // ones put back.
        let onQueue = Set(submitted.map(\.task))
        let missing = submissions.filter { !onQueue.contains($0.id) }
        if !missing.isEmpty { try tasks.submit(batch: record.name, tasks: missing) }
        if !onQueue.isEmpty {
            let again = try tasks.resubmit(batch: record.name, tasks: submissions.filter { onQueue.contains($0.id) })
            if !again.isEmpty { log("back in the queue, to run again: \(again.joined(separator: ", "))") }
        }
        let workers = RemoteLocalWorkers(count: remote.localWorkers, batch: record, queue: queue, executable: executable,
                                         environment: environment, log: log)
        let started = Date()
        try workers.start()
        let rows = watch(tasks, from: try tasks.rows(batch: record.name), events: events)
        workers.stop()
        let results = progress.results(rows)
        record.remote?.workerNames = try fetchBranches(knownWorkers: progress.workerNames)
        try noteCommittedFailures(rows)
        record.workers = record.remote?.workerNames.count ?? 0
        try BatchStore(path: Path.parent(record.directory)).save(record)
        try BatchRun.writeResults(results, to: record.resultsFile)
        return BatchRun.Outcome(record: record, results: results,
                                summary: RunSummary(results: results, durationMs: Int(Date().timeIntervalSince(started) * 1000)),
                                interrupted: interruption.isRaised)
    }

    /// Reports progress until every task is finished (done, failed or skipped), or `interrupt`;
    /// returns the rows as last read. Expired leases are put back (or their tasks failed) here
    /// too, so that a batch ends when every worker host is gone, and a stopped batch's queued
    /// tasks skipped (see `skipQueuedTasksOfStoppedBatch`). A queue that fails (the database went
    /// away) is opened again every few seconds, while the workers wait on it too. `rows` are the
    /// batch's rows as read before: what is returned when no later read succeeds.
    private func watch(_ first: any TaskQueue, from rows: [QueuedTask], events: (OrchestratorEvent) -> Void) -> [QueuedTask] {
        var tasks: (any TaskQueue)? = first
        var rows = rows
        while !interruption.isRaised {
            do {
                let current = try tasks ?? connect()
                tasks = current
                let look = try progress.look(at: current, finished: { $0.allSatisfy(\.isFinished) }, to: events)
                rows = look.rows
                if look.finished { break }
                _ = wake.wait(timeout: .now() + pollInterval)
            } catch {
                tasks = nil
                log("the queue failed: \(queue.scrub("\(error)")); connecting again in 5 s (Ctrl-C stops waiting; conductor batch --resume waits again)")
                _ = wake.wait(timeout: .now() + 5)
            }
        }
        return rows
    }

    /// The queue, opened as this batch's coordinator.
    private func connect() throws -> any TaskQueue {
        try queue.open(label: "conductor batch \(plan.record.name) coordinator")
    }

    /// The name of worker `number` of the progress events and results (numbered in the order of
    /// their first claim), or nil when no such worker was seen.
    public func workerName(_ number: Int) -> String? {
        let names = progress.workerNames
        return names.indices.contains(number) ? names[number] : nil
    }

    /// Stops waiting (Ctrl-C): the local workers give their tasks back to the queue, where other
    /// hosts' workers go on with them; the branches pushed so far are fetched and the results
    /// recorded so far written. Callable from any thread.
    public func interrupt() {
        interruption.raise()
        wake.signal()
    }

    /// Says which tasks the queue recorded failed or skipped although their commit is on the
    /// remote (fetched just now): their host pushed and died before recording, on the task's last
    /// allowed lease. `--resume` records such a commit without running the task again.
    private func noteCommittedFailures(_ rows: [QueuedTask]) throws {
        let unfinished = Set(rows.filter { $0.state == .failed || $0.state == .skipped }.map(\.task))
        guard !unfinished.isEmpty, let remote = plan.record.remote, let repo = plan.record.repos.first else { return }
        let repository = try Repository.open(at: repo.path)
        let name = plan.record.name
        let found = try RemoteCheckout.pushedCommits(of: unfinished, batch: name, under: "refs/remotes/\(remote.remoteName)/conductor/\(name)/",
                                                     base: ObjectID(hex: repo.baseCommit), in: repository)
        for (task, pushed) in found.sorted(by: { $0.key < $1.key }) {
            let state = rows.first { $0.task == task }?.state.rawValue ?? "failed"
            log("warning: task \(task) is recorded \(state), but its commit \(pushed.commit.id.hex.prefix(12)) is on \(pushed.branch) (its host pushed it and stopped before recording it); conductor batch --resume -n \(name) records that commit without running the task again")
        }
    }

    /// Brings the remote's `conductor/<batch>/*` branches into the repository as local branches
    /// (a local branch that is not behind its remote one is left, with a warning); returns the
    /// worker names: `knownWorkers` first, then those of other branches, by name.
    private func fetchBranches(knownWorkers: [String]) throws -> [String] {
        guard let remote = plan.record.remote, let repo = plan.record.repos.first else { return knownWorkers }
        let repository = try Repository.open(at: repo.path)
        try repository.fetch(remote: remote.remoteName, passwords: GitCredentialHelper(directory: repo.path))
        let prefix = "refs/remotes/\(remote.remoteName)/conductor/\(plan.record.name)/"
        var names = knownWorkers
        for branch in try repository.references(prefix: prefix).sorted(by: { $0.name < $1.name }) {
            let name = String(branch.name.dropFirst(prefix.count))
            guard TaskSpec.isUsableID(name), name != "merged" else { continue }
            let local = "conductor/\(plan.record.name)/\(name)"
            if let tip = try repository.branchTip(local), !repository.contains(tip, in: branch.commit) {
                log("warning: \(local) in \(repo.path) has commits the remote's branch lacks; left as it is (the remote's: \(branch.name))")
            } else {
                try repository.createBranch(local, at: branch.commit, force: true)
            }
            if !names.contains(name) { names.append(name) }
        }
        return names
    }
}
