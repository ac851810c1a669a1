import Dispatch

/// The async twins of the blocking runs: the same work on a thread of its own, so the awaiting
/// Task holds no thread of Swift's cooperative pool, and cancelled with that Task.
///
/// ```swift
/// let report = try await orchestrator.run([.command("swift test", id: "test")])
/// ```
extension Orchestrator {
    /// Runs `tasks` (in parallel unless `sequential`) and reports results and a summary.
    ///
    /// Cancelling the awaiting `Task` cancels the run as `cancel()` does, also before it began:
    /// tasks not yet started are recorded `cancelled`, running ones are waited for, and the
    /// report is returned (no `CancellationError`), with the results of the tasks that ran.
    ///
    /// - Throws: what the blocking `run(_:sequential:options:cancellation:)` throws.
    public func run(_ tasks: [TaskSpec], sequential: Bool = false, options: OrchestratorOptions? = nil) async throws -> RunReport {
        let cancellation = CancellationFlag()
        return try await withTaskCancellationHandler {
            try await awaitBlocking { try self.run(tasks, sequential: sequential, options: options, cancellation: cancellation) }
        } onCancel: {
            cancellation.raise()
        }
    }

    /// Runs `tasks` in parallel, one per free worker; returns their results in task order, as the
    /// blocking `executeTasks` does. Cancelling the awaiting `Task` cancels the run.
    public func executeTasks(_ tasks: [TaskSpec]) async throws -> [TaskResult] {
        try await run(tasks).results
    }

    /// Runs `tasks` one after another, as the blocking `executeSequential` does. Cancelling the
    /// awaiting `Task` marks the tasks not yet started `cancelled`.
    public func executeSequential(_ tasks: [TaskSpec], stopOnError: Bool = false) async throws -> [TaskResult] {
        try await run(tasks, sequential: true, options: sequentialOptions(stopOnError: stopOnError)).results
    }
}

/// Runs blocking `work` on a dispatch queue of its own and returns its result. Such a queue may
/// start a thread when the others are busy; the few threads of Swift's cooperative pool must never
/// wait on workers or processes.
func awaitBlocking<Value: Sendable, Failure: Error>(_ work: @escaping @Sendable () throws(Failure) -> Value) async throws(Failure) -> Value {
    let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Value, Failure>, Never>) in
        DispatchQueue(label: "conductor.blocking").async {
            continuation.resume(returning: Result { () throws(Failure) -> Value in try work() })
        }
    }
    return try result.get()
}
