import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import Queue

/// Tasks added to a batch that runs on a shared queue (`conductor submit -n NAME`): they go to
/// the batch's queue with its remote, base commit and agent, so that any of the queue's workers
/// runs them on the batch's branches. The batch's coordinator, while it runs, waits for them too
/// and records them with the rest (in `results.jsonl` and the report); once it has ended,
/// `conductor batch --resume -n NAME` does.
public final class RemoteBatchSubmission: Sendable {
    public let batch: BatchRecord
    public let tasks: [TaskSpec]
    private let queue: TaskQueueAddress
    private let progress: RemoteBatchProgress

    /// `tasks` for `batch`, whose queue is `queue`; nothing is submitted yet.
    public init(_ tasks: [TaskSpec], to batch: BatchRecord, queue: TaskQueueAddress) {
        self.batch = batch
        self.tasks = tasks
        self.queue = queue
        progress = RemoteBatchProgress(batch: batch.name, tasks: tasks, followsSubmissions: false)
    }

    /// Adds the tasks to the batch on its queue, all or none, with `timeout` for those that set none.
    ///
    /// - Throws: `RemoteTaskError` when the queue is not the batch's, or a task's id is the
    ///   batch's already (naming them); what opening the queue throws.
    public func submit(timeout: Double? = nil) throws {
        if let problem = batch.queueProblem(queue) { throw RemoteTaskError(problem) }
        guard let remote = batch.remote, let repo = batch.repos.first else {
            throw RemoteTaskError("batch \(batch.name) did not run on a shared queue (its batch.json has no \"remote\")")
        }
        let shared = try queue.open()
        let known = Set(try shared.rows(batch: batch.name).map(\.task))
        let taken = tasks.map(\.id).filter(known.contains)
        guard taken.isEmpty else {
            throw RemoteTaskError("batch \(batch.name) has a task \(taken.joined(separator: ", ")) already: give the new task(s) other ids (--id, or \"id\" in the tasks file)")
        }
        try RemoteTask.submit(tasks, batch: batch.name, remote: remote.remoteURL, base: repo.baseCommit, agent: batch.agent,
                              options: RemoteBatchOptions(timeout: timeout), to: shared)
    }

    /// Waits until every task is done, failed or skipped on the queue, or `cancellation` is
    /// raised; returns their results in task order (a task still unfinished then is `cancelled`,
    /// and stays on the queue). Meanwhile claims whose lease ran out go back to the queue, as the
    /// coordinator does, so that the wait ends when every worker host is gone.
    ///
    /// - Parameter events: progress, as the coordinator reports it (`workerName(_:)` names its workers).
    /// - Throws: what opening or reading the queue throws.
    public func wait(pollInterval: Double = 0.5, cancellation: CancellationFlag = CancellationFlag(),
                     events: (OrchestratorEvent) -> Void = { _ in }) throws -> RunReport {
        let started = Date()
        let shared = try queue.open()
        let ids = Set(tasks.map(\.id))
        var rows: [QueuedTask] = []
        while !cancellation.isRaised {
            let look = try progress.look(at: shared, finished: { $0.filter { ids.contains($0.task) }.allSatisfy(\.isFinished) }, to: events)
            rows = look.rows
            if look.finished { break }
            usleep(UInt32(pollInterval * 1_000_000))
        }
        let results = progress.results(rows)
        return RunReport(results: results, summary: RunSummary(results: results, durationMs: Int(Date().timeIntervalSince(started) * 1000)))
    }

    /// The name of worker `number` of the progress events and results, or nil when no such
    /// worker was seen.
    public func workerName(_ number: Int) -> String? {
        let names = progress.workerNames
        return names.indices.contains(number) ? names[number] : nil
    }
}
