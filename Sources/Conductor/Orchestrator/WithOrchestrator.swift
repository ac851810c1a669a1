import FoundationEssentials
import Queue

/// Starts `workers` workers, hands `body` an orchestrator over them and stops them when `body`
/// returns or throws.
///
/// ```swift
/// let results = try withOrchestrator(workers: 3, launch: WorkerLaunch(directory: ".")) { orchestrator in
///     try orchestrator.executeTasks([.command("swift test", id: "test"), .command("swift build", id: "build")])
/// }
/// ```
///
/// - Parameters:
///   - queue: the queue the workers serve; by default a private one in the temporary directory,
///     removed afterwards.
///   - options: the options runs use unless given their own.
///   - launch: how the workers are started.
/// - Throws: what `Orchestrator.init` throws when the workers do not start, and what `body` throws.
public func withOrchestrator<Value>(workers: Int, queue: QueueRoot? = nil, options: OrchestratorOptions = OrchestratorOptions(),
                                    launch: WorkerLaunch, _ body: (Orchestrator) throws -> Value) throws -> Value {
    let scope = ScopedQueue(queue)
    defer { scope.close() }
    let orchestrator = try Orchestrator(workers: workers, queue: scope.root, options: options, launch: launch)
    defer { orchestrator.shutdown() }
    return try body(orchestrator)
}

/// Starts `workers` workers, hands the async `body` an orchestrator over them and stops them when
/// `body` returns or throws (or its Task is cancelled: the runs it awaits return first). Starting
/// and stopping the workers wait on a thread of their own, not on the caller's.
///
/// ```swift
/// let report = try await withOrchestrator(workers: 2, launch: WorkerLaunch(directory: ".")) { orchestrator in
///     try await orchestrator.run([.command("swift test", id: "test"), .command("swift build", id: "build")])
/// }
/// ```
///
/// - Parameters:
///   - queue: the queue the workers serve; by default a private one in the temporary directory,
///     removed afterwards.
///   - options: the options runs use unless given their own.
///   - launch: how the workers are started.
/// - Throws: what `Orchestrator.init` throws when the workers do not start, and what `body` throws.
public func withOrchestrator<Value>(workers: Int, queue: QueueRoot? = nil, options: OrchestratorOptions = OrchestratorOptions(),
                                    launch: WorkerLaunch, isolation: isolated (any Actor)? = #isolation,
                                    _ body: (Orchestrator) async throws -> Value) async throws -> Value {
    let scope = ScopedQueue(queue)
    defer { scope.close() }
    let root = scope.root
    let orchestrator = try await awaitBlocking { try Orchestrator(workers: workers, queue: root, options: options, launch: launch) }
    let outcome: Result<Value, any Error>
    do {
        outcome = .success(try await body(orchestrator))
    } catch {
        outcome = .failure(error)
    }
    await awaitBlocking { orchestrator.shutdown() }
    return try outcome.get()
}

/// The queue `withOrchestrator` runs on: the caller's, or a private one it removes at the end.
private struct ScopedQueue {
    let root: QueueRoot
    private let isPrivate: Bool

    init(_ given: QueueRoot?) {
        isPrivate = given == nil
        root = given ?? QueueRoot(path: FileManager.default.temporaryDirectory
            .appendingPathComponent("conductor-queue-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)").path)
    }

    func close() {
        if isPrivate { try? FileManager.default.removeItem(atPath: root.path) }
    }
}
