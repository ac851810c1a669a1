import FoundationEssentials
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import FoundationShims
import Queue

/// Handing tasks to workers that are already running (a launched session's, or any started with
/// `conductor worker`): what `conductor submit` does.
public enum Submission {
    /// The batch or session a queue belongs to (`<queue>/../batch.json`), if it has one.
    public static func record(for queue: QueueRoot) -> BatchRecord? {
        let file = Path.join(Path.parent(queue.path), BatchRecord.fileName)
        guard let record = try? AtomicFile.readJSON(BatchRecord.self, from: file), record.queue == queue else { return nil }
        return record
    }

    /// How many worker slots the queue has (slots `0..<n`).
    public static func workerCount(_ queue: QueueRoot) -> Int {
        (queue.existingSlots().map(\.id).max() ?? -1) + 1
    }

    /// Orchestrator options for a submission: tasks run in each worker's own directory (a `cwd`
    /// only inside it), and in a session with worktrees each task's changes are committed to the
    /// worker's branch, with the same checks as a batch's.
    public static func options(_ base: OrchestratorOptions, record: BatchRecord?) -> OrchestratorOptions {
        var options = base
        options.waitForQueue = true
        guard let record, let repo = record.repos.first else { return options }
        options.placement = { task, worker in
            guard record.worktrees else { return Placement(cwd: try Placement.directory(of: task, in: repo.path), commit: nil) }
            return try record.worktreePlacement(for: task, worker: worker, repo: repo, path: record.worktreePath(repo, worker: worker))
        }
        return options
    }

    /// Adds `results` to a session's `results.jsonl`, one final record per task id (a task
    /// submitted again under its id keeps only its newest), so `conductor report NAME` and
    /// `conductor list` count submitted tasks and their cost. Submissions finishing together take
    /// turns on `results.jsonl.lock`; the file is rewritten atomically, never half-written.
    ///
    /// - Throws: `ReportError.malformedResults` when the file holds a line that is not a result,
    ///   `QueueError` when it cannot be written.
    public static func recordResults(_ results: [TaskResult], in session: BatchRecord) throws {
        let lock = try FileLock(path: session.resultsFile + ".lock", wait: true)
        defer { lock.release() }
        var recorded = try MergeReport.readResults(session.resultsFile)
        for result in results {
            if let index = recorded.firstIndex(where: { $0.task.id == result.task.id }) {
                recorded[index] = result
            } else {
                recorded.append(result)
            }
        }
        try BatchRun.writeResults(recorded, to: session.resultsFile)
    }

    /// A unique id for a one-off `--prompt` or `--command` submission.
    public static func newTaskID(now: Date = Date()) -> String {
        "s\(Int(now.timeIntervalSince1970 * 1000))"
    }
}
