import Dispatch
import FoundationEssentials
import Synchronization

/// Reads items on as many threads as there are cores, each thread with a context of its own (a
/// repository handle: a libgit2 handle serves one thread). The report's reads are independent
/// (branch diffs, worktree status, task diffs), mostly inflating objects and waiting on `stat`.
enum ParallelReads {
    /// `read(context, index)` for every index in `0..<count`, in index order; with one core or
    /// one item, on the calling thread.
    ///
    /// - Throws: the error of the lowest index that failed, or of the first context that could not be made.
    static func map<Context, Value: Sendable>(
        _ count: Int, context: @Sendable () throws -> Context, read: @Sendable (Context, Int) throws -> Value
    ) throws -> [Value] {
        let threads = min(count, ProcessInfo.processInfo.activeProcessorCount)
        guard threads > 1 else {
            let context = try context()
            return try (0..<count).map { try read(context, $0) }
        }
        let values = Mutex([Int: Result<Value, Error>]())
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            let made = Result { try context() }
            for index in stride(from: thread, to: count, by: threads) {
                let value = made.flatMap { context in Result { try read(context, index) } }
                values.withLock { $0[index] = value }
            }
        }
        return try values.withLock { values in try (0..<count).map { try values[$0]!.get() } }
    }
}
