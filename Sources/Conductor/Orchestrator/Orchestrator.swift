import FoundationEssentials
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import FoundationShims
import Queue
import Synchronization

/// Runs lists of tasks on the workers of a queue: in parallel (`executeTasks`) or in order
/// (`executeSequential`). The Swift face of the seed's `Orchestrator(3)`. Each blocking method has
/// an async twin of the same name, cancelled with its `Task` (Orchestrator+Async.swift).
///
/// ```swift
/// let results = try withOrchestrator(workers: 3, launch: WorkerLaunch(directory: ".")) { orchestrator in
///     try orchestrator.executeTasks([.prompt("Review auth.py", id: "auth"), .command("swift test", id: "test")])
/// }
/// ```
public final class Orchestrator: Sendable {
    public let queue: QueueRoot
    /// The worker slots used: `0..<workers`.
    public let workerIDs: [Int]
    /// The options runs use unless `run` is given its own.
    public var options: OrchestratorOptions {
        get { state.withLock { $0.options } }
        set { state.withLock { $0.options = newValue } }
    }
    private let state: Mutex<(options: OrchestratorOptions, pool: WorkerPool?)>
    private let runs = RunList()

    /// Attaches to the workers `0..<workers` of `queue`, or starts them when `launch` is given.
    ///
    /// - Throws: `QueueError` when the queue cannot be created, `WorkerPoolError` when started
    ///   workers do not come up.
    public init(workers: Int, queue: QueueRoot = .resolve(nil), options: OrchestratorOptions = OrchestratorOptions(),
                launch: WorkerLaunch? = nil) throws {
        self.queue = queue
        workerIDs = Array(0..<max(1, workers))
        try queue.create()
        let pool = try launch.map { [workerIDs, runs] launch in
            try WorkerPool(launch: launch, queue: queue, ids: workerIDs, failed: { runs.wakeAll() })
        }
        state = Mutex((options, pool))
    }

    /// Runs `tasks` in parallel, one per free worker; returns their results in task order. A
    /// failed task whose `stopOnError` is set (or any, when `options.stopOnError` is) halts
    /// dispatch: running tasks finish, those not started are `skipped`.
    public func executeTasks(_ tasks: [TaskSpec]) throws -> [TaskResult] {
        try run(tasks, sequential: false).results
    }

    /// Runs `tasks` one after another; a failed task whose `stopOnError` is set (or any failed task
    /// when `stopOnError` is true here) marks the rest `skipped`.
    public func executeSequential(_ tasks: [TaskSpec], stopOnError: Bool = false) throws -> [TaskResult] {
        try run(tasks, sequential: true, options: sequentialOptions(stopOnError: stopOnError)).results
    }

    /// The options `executeSequential` runs with.
    func sequentialOptions(stopOnError: Bool) -> OrchestratorOptions {
        var options = self.options
        options.stopOnError = options.stopOnError || stopOnError
        return options
    }

    /// Runs `tasks` and reports results and a summary.
    ///
    /// - Parameter cancellation: raised from any thread, before or during the run, it cancels
    ///   this run as `cancel()` does.
    /// - Throws: `QueueError.orchestratorRunning` when another orchestrator uses the queue,
    ///   `OrchestratorError.noLiveWorkers` when no worker shows up, `WorkerPoolError` when a
    ///   started worker kept dying.
    public func run(_ tasks: [TaskSpec], sequential: Bool, options: OrchestratorOptions? = nil,
                    cancellation: CancellationFlag = CancellationFlag()) throws -> RunReport {
        let options = options ?? self.options
        let entry = runs.add(cancellation)
        defer { runs.remove(entry) }
        let lock = try FileLock(path: queue.orchestratorLockFile, wait: options.waitForQueue)
        defer { lock.release() }
        let slots = workerIDs.map(queue.slot)
        for slot in slots { try slot.create() }
        let watcher = try DirectoryWatcher(directories: slots.map(\.path), names: ["status.json", "result.json"], mode: options.watchMode)
        cancellation.wake(watcher)
        defer { cancellation.forget(watcher) }
        let started = Date()
        let pool = state.withLock { $0.pool }
        let dispatcher = try Dispatcher(
            tasks: tasks, slots: slots, options: options, sequential: sequential, cancellation: cancellation, watcher: watcher,
            workerFailure: { pool?.failure })
        let results = try dispatcher.run()
        return RunReport(results: results, summary: RunSummary(results: results, durationMs: Int(Date().timeIntervalSince(started) * 1000)))
    }

    /// Stops handing out tasks in the run in progress: tasks not yet started are recorded
    /// `cancelled`; running ones are waited for. With no run in progress it does nothing, and
    /// later runs are not affected. Callable from any thread (a signal handler's queue). To cancel
    /// a run that may not have begun yet, give it a `CancellationFlag` or cancel its `Task`.
    public func cancel() {
        runs.cancelAll()
    }

    /// Stops the workers this orchestrator started (their running tasks are recorded `cancelled`).
    /// Workers it attached to are left running.
    public func shutdown() {
        let pool = state.withLock { state in
            defer { state.pool = nil }
            return state.pool
        }
        pool?.stop()
    }

    /// The workers this orchestrator started, if any (for tests).
    var workerPool: WorkerPool? { state.withLock { $0.pool } }

    /// Ends the started workers' running tasks now (as `shutdown` does) while the run collects
    /// their `cancelled` results: what a batch does on Ctrl-C.
    public func stopWorkers() {
        state.withLock { $0.pool }?.signalStop()
    }
}

/// The cancellation flags of the runs in progress, so `cancel()` and a worker that died too often
/// reach them from another thread.
private final class RunList: Sendable {
    private let runs = Mutex<(next: Int, flags: [Int: CancellationFlag])>((0, [:]))

    /// Adds a run's flag; returns the entry to remove when the run ends.
    func add(_ flag: CancellationFlag) -> Int {
        runs.withLock { runs in
            defer { runs.next += 1 }
            runs.flags[runs.next] = flag
            return runs.next
        }
    }

    func remove(_ entry: Int) {
        runs.withLock { $0.flags[entry] = nil }
    }

    func cancelAll() {
        runs.withLock { Array($0.flags.values) }.forEach { $0.raise() }
    }

    func wakeAll() {
        runs.withLock { Array($0.flags.values) }.forEach { $0.wakeRuns() }
    }
}
