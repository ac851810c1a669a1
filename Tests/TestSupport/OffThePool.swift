import Foundation

/// Runs `body`, which blocks (starting a server, waiting on a socket or a child process), on a
/// thread of its own instead of one of Swift's cooperative pool.
///
/// The pool has one thread per core (two here) and runs every test of the process; a test that
/// blocks one of them keeps the others waiting, and their time limits run while they wait. The
/// body stays in the test's task, so its `#expect`s are recorded against the test.
public func offThePool<Value>(_ body: () throws -> Value) async throws -> Value {
    try await withTaskExecutorPreference(OwnThreadExecutor.shared) { try body() }
}

/// Runs each job on a new thread.
private final class OwnThreadExecutor: TaskExecutor {
    static let shared = OwnThreadExecutor()

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        Thread.detachNewThread { job.runSynchronously(on: OwnThreadExecutor.shared.asUnownedTaskExecutor()) }
    }
}
