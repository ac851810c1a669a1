import FoundationEssentials
import FoundationShims
import PostgresQueue
import Queue
import Synchronization

/// A remote batch's progress, read from the queue's journal and rows: each new journal event
/// becomes the `OrchestratorEvent` a local batch reports, and each row's result a `TaskResult`.
///
/// Workers are numbered in the order of their first claim of a task of the batch (the journal
/// only grows, so a number never changes, also across `--resume`): worker `n` of the events and
/// results is `workerNames[n]`.
final class RemoteBatchProgress: Sendable {
    private let plan: BatchPlan
    /// How many journal events were reported, and the workers' names by number.
    private let state = Mutex<(reported: Int, names: [String])>((0, []))

    init(plan: BatchPlan) {
        self.plan = plan
    }

    /// The workers seen so far, by number.
    var workerNames: [String] { state.withLock { $0.names } }

    /// Reports the events of `journal` not reported yet; `rows` (read after the journal) give
    /// the results of finished tasks. A task's ending that `--resume` undid (it was put back
    /// later) is not reported.
    func report(_ journal: [QueueEvent], rows: [QueuedTask],
                to handle: (OrchestratorEvent) -> Void) {
        let fresh = state.withLock { state -> ArraySlice<QueueEvent> in
            defer { state.reported = max(state.reported, journal.count) }
            return journal.dropFirst(state.reported)
        }
        let lastPutBack = journal.indices.reduce(into: [String: Int]()) { last, index in
            if journal[index].event == "requeued" { last[journal[index].task] = index }
        }
        for (position, entry) in zip(fresh.indices, fresh) {
            guard let index = plan.tasks.firstIndex(where: { $0.id == entry.task }) else { continue }
            let task = plan.tasks[index]
            let worker = entry.worker ?? "a worker"
            switch entry.event {
            case "claim":
                handle(.assigned(index: index, task: task, worker: number(of: worker), attempt: entry.attempt))
            case "expired":
                handle(.retrying(index: index, task: task, reason: "the lease of \(worker) ran out (its host died, was stopped or cut off); back in the queue", after: 0))
            case "released":
                handle(.retrying(index: index, task: task, reason: "\(worker) stopped and gave it back to the queue", after: 0))
            case "done", "failed", "skipped":
                guard position > lastPutBack[entry.task] ?? -1, let row = rows.first(where: { $0.task == entry.task }) else { continue }
                handle(.finished(index: index, result: result(of: task, row: row)))
            default:
                continue
            }
        }
    }

    /// Every task's final record, in task order; a task not finished on the queue is `cancelled`
    /// (the coordinator stopped waiting: `--resume` waits again).
    func results(_ rows: [QueuedTask]) -> [TaskResult] {
        plan.tasks.map { task in
            guard let row = rows.first(where: { $0.task == task.id }), row.isFinished else {
                return TaskResult(task: task, worker: nil, result: .synthetic(
                    .cancelled, error: "not finished when the coordinator stopped waiting; it stays on the queue (conductor batch --resume waits for it)",
                    attempts: rows.first { $0.task == task.id }?.attempts ?? 0))
            }
            return result(of: task, row: row)
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
