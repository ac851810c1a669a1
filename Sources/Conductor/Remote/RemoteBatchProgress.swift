import FoundationEssentials
import FoundationShims
import Queue
import Synchronization

/// A remote batch's progress, read from the queue's journal and rows: each new journal event
/// becomes the `OrchestratorEvent` a local batch reports, and each row's result a `TaskResult`.
///
/// The batch's tasks are its plan's, then (for its coordinator) those submitted to it later
/// (`conductor submit -n NAME`), learned from the queue's rows, in the order they were submitted. Workers are numbered
/// in the order of their first claim of a task of the batch (the journal only grows, so a number
/// never changes, also across `--resume`): worker `n` of the events and results is `workerNames[n]`.
final class RemoteBatchProgress: Sendable {
    private let batch: String
    /// Whether tasks submitted to the batch later join `tasks`.
    private let followsSubmissions: Bool
    /// The tasks known so far, how many journal events were reported, and the workers' names by number.
    private let state: Mutex<(tasks: [TaskSpec], reported: Int, names: [String])>

    /// Progress of `tasks` of `batch`, and of the tasks submitted to it later when `followsSubmissions`.
    init(batch: String, tasks: [TaskSpec], followsSubmissions: Bool = true) {
        self.batch = batch
        self.followsSubmissions = followsSubmissions
        state = Mutex((tasks, 0, []))
    }

    /// The workers seen so far, by number.
    var workerNames: [String] { state.withLock { $0.names } }

    /// The batch's tasks known so far, in the order they were submitted.
    var tasks: [TaskSpec] { state.withLock { $0.tasks } }

    /// One look at the batch on `queue`, as its coordinator and `submit --wait` make it: claims
    /// whose lease ran out go back (or their tasks fail), a stopped batch's queued tasks are
    /// skipped, and the journal's new events are reported. Returns the rows and whether
    /// `finished` holds of them; when it does, the journal is read once more, so that endings
    /// journaled after the first read are reported too.
    func look(at queue: any TaskQueue, finished: ([QueuedTask]) -> Bool,
              to handle: (OrchestratorEvent) -> Void) throws -> (rows: [QueuedTask], finished: Bool) {
        try queue.requeueExpired()
        _ = try queue.skipQueuedTasksOfStoppedBatch(batch)
        let journal = try queue.journal(batch: batch)
        let rows = try queue.rows(batch: batch)
        report(journal, rows: rows, to: handle)
        guard finished(rows) else { return (rows, false) }
        report(try queue.journal(batch: batch), rows: rows, to: handle)
        return (rows, true)
    }

    /// Reports the events of `journal` not reported yet; `rows` (read after the journal) give
    /// the results of finished tasks, and the tasks submitted to the batch since. A task's ending
    /// that `--resume` undid (it was put back later) is not reported. An ending whose row does not
    /// show it yet (a queue may journal a change before it writes its rows) waits, with the events
    /// after it, for the next report.
    func report(_ journal: [QueueEvent], rows: [QueuedTask], to handle: (OrchestratorEvent) -> Void) {
        learn(rows)
        let (tasks, fresh) = state.withLock { state in (state.tasks, journal.dropFirst(state.reported)) }
        var reached = journal.count
        defer { state.withLock { $0.reported = max($0.reported, reached) } }
        let lastPutBack = journal.indices.reduce(into: [String: Int]()) { last, index in
            if journal[index].event == "requeued" { last[journal[index].task] = index }
        }
        for (position, entry) in zip(fresh.indices, fresh) {
            let worker = entry.worker ?? "a worker"
            let number = entry.event == "claim" ? number(of: worker) : nil
            guard let index = tasks.firstIndex(where: { $0.id == entry.task }) else { continue }
            let task = tasks[index]
            switch entry.event {
            case "claim":
                handle(.assigned(index: index, task: task, worker: number ?? 0, attempt: entry.attempt))
            case "expired":
                handle(.retrying(index: index, task: task, reason: "the lease of \(worker) ran out (its host died, was stopped or cut off); back in the queue", after: 0))
            case "released":
                handle(.retrying(index: index, task: task, reason: "\(worker) gave it back to the queue (the worker was stopping, its host could not fetch the remote, or its agent hit a rate limit: the worker's log says which)", after: 0))
            case "done", "failed", "skipped":
                guard position > lastPutBack[entry.task] ?? -1, let row = rows.first(where: { $0.task == entry.task }) else { continue }
                guard row.isFinished else {
                    reached = position
                    return
                }
                handle(.finished(index: index, result: result(of: task, row: row)))
            default:
                continue
            }
        }
    }

    /// Every known task's final record, in task order; a task not finished on the queue is
    /// `cancelled` (the coordinator stopped waiting: `--resume` waits again).
    func results(_ rows: [QueuedTask]) -> [TaskResult] {
        learn(rows)
        return tasks.map { task in
            guard let row = rows.first(where: { $0.task == task.id }), row.isFinished else {
                return TaskResult(task: task, worker: nil, result: .synthetic(
                    .cancelled, error: "not finished when the coordinator stopped waiting; it stays on the queue (conductor batch --resume waits for it)",
                    attempts: rows.first { $0.task == task.id }?.attempts ?? 0))
            }
            return result(of: task, row: row)
        }
    }

    /// Adds the tasks of `rows` not known yet (submitted to the batch after its plan), each as
    /// its row's JSON gives it, when following submissions; a row that is not a remote task's is
    /// passed over.
    func learn(_ rows: [QueuedTask]) {
        guard followsSubmissions else { return }
        state.withLock { state in
            let known = Set(state.tasks.map(\.id))
            for row in rows where !known.contains(row.task) {
                if let task = try? RemoteTask.decode(row.spec, task: row.task, batch: batch).task { state.tasks.append(task) }
            }
        }
    }

    /// The record of a finished row: its worker's result, with the worker's number; or the
    /// queue's reason for a task it failed (its leases ran out too often) or skipped.
    private func result(of task: TaskSpec, row: QueuedTask) -> TaskResult {
        let json = Data((row.result ?? "").utf8)
        if row.state != .done, let verdict = try? QueueJSON.decoder.decode(QueueVerdict.self, from: json) {
            return TaskResult(task: task, worker: row.state == .skipped ? nil : row.claimedBy.map(number(of:)),
                              result: .synthetic(row.state == .skipped ? .skipped : .error, error: verdict.error, attempts: row.attempts))
        }
        guard let recorded = try? QueueJSON.decoder.decode(RemoteTaskResult.self, from: json) else {
            return TaskResult(task: task, worker: nil, result: .synthetic(
                row.state == .done ? .done : .error, error: "the queue's result of task \(task.id) is not a remote worker's (\(row.result ?? "none"))",
                attempts: row.attempts))
        }
        return TaskResult(task: task, worker: number(of: recorded.worker), result: recorded.result)
    }

    /// Worker `name`'s number, given it the first time.
    private func number(of name: String) -> Int {
        state.withLock { state in
            if let known = state.names.firstIndex(of: name) { return known }
            state.names.append(name)
            return state.names.count - 1
        }
    }
}

/// What the queue itself records as the result of a task it failed or skipped.
private struct QueueVerdict: Decodable {
    let error: String
}
