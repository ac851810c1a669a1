import FoundationEssentials
import Queue

/// One task of a shared batch as its queue has it now (`conductor status -n NAME` of a batch run
/// with `--queue postgres://…` or `--queue file:///…`).
public struct RemoteTaskState: Codable, Sendable, Equatable {
    public var task: String
    /// `queued`, `claimed`, `done`, `failed` or `skipped` (not started: a task that stops the batch failed).
    public var state: String
    /// Claims so far (more than one: an earlier worker's lease ran out, or it gave the task back).
    public var attempts: Int
    /// The worker that holds or last held the task.
    public var worker: String?

    /// Every task of `batch`, in submission order, read from `queue`.
    ///
    /// - Throws: `RemoteTaskError` when `batch` did not run on a shared queue or ran on another
    ///   one (naming it, without its password); what opening the queue throws.
    public static func read(_ batch: BatchRecord, queue: TaskQueueAddress) throws -> [RemoteTaskState] {
        if let problem = batch.queueProblem(queue) { throw RemoteTaskError(problem) }
        return try queue.open().rows(batch: batch.name).map {
            RemoteTaskState(task: $0.task, state: $0.state.rawValue, attempts: $0.attempts, worker: $0.claimedBy)
        }
    }
}
