import FoundationEssentials
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import FoundationShims
import Queue

/// Handing tasks to workers that are already running (a launched session's, or any started with
/// `conductor worker`): what `conductor submit` does.
package enum Submission {
    /// The batch or session a queue belongs to (`<queue>/../batch.json`), if it has one.
    package static func record(for queue: QueueRoot) -> BatchRecord? {
        let file = Path.join(Path.parent(queue.path), BatchRecord.fileName)
        guard let record = try? AtomicFile.readJSON(BatchRecord.self, from: file), record.queue == queue else { return nil }
        return record
    }

    /// How many worker slots the queue has (slots `0..<n`).
    package static func workerCount(_ queue: QueueRoot) -> Int {
        (queue.existingSlots().map(\.id).max() ?? -1) + 1
    }

    /// Orchestrator options for a submission: tasks run in each worker's own directory (a `cwd`
    /// only inside it), and in a session with worktrees each task's changes are committed to the
    /// worker's branch, with the same checks as a batch's.
    package static func options(_ base: OrchestratorOptions, record: BatchRecord?) -> OrchestratorOptions {
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
    package static func recordResults(_ results: [TaskResult], in session: BatchRecord) throws {
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

    /// Runs `tasks` on the queue's live workers and waits for their results; a session's
    /// `results.jsonl` gets each task's final record.
    ///
    /// - Parameters:
    ///   - started: called with the orchestrator before the run, so a caller can cancel it.
    ///   - warning: told when the results could not be added to the session's `results.jsonl`
    ///     (the tasks ran: their results are still returned).
    /// - Throws: `OrchestratorError.noLiveWorkers` when no worker lives, `OrchestratorError` when
    ///   the run cannot go ahead.
    package static func wait(for tasks: [TaskSpec], on queue: QueueRoot, options: OrchestratorOptions, sequential: Bool,
                            started: (Orchestrator) -> Void = { _ in }, warning: (String) -> Void) throws -> RunReport {
        let workers = try liveWorkerCount(queue)
        let record = record(for: queue)
        let orchestrator = try Orchestrator(workers: workers, queue: queue, options: Self.options(options, record: record))
        started(orchestrator)
        let report = try orchestrator.run(tasks, sequential: sequential)
        if let record, record.isSession {
            do { try recordResults(report.results, in: record) }
            catch { warning("the results were not added to \(record.resultsFile): \(error)") }
        }
        return report
    }

    /// Writes `tasks` into the queue's submissions folder and starts `conductor submit --wait
    /// --json` on them as a detached process whose output is the results file (the protocol is
    /// `BackgroundSubmission`'s).
    ///
    /// - Throws: `OrchestratorError.noLiveWorkers` when no worker lives, `QueueError` when the
    ///   folder cannot be written, `ChildProcessError` when conductor cannot be started.
    package static func startInBackground(_ tasks: [TaskSpec], on queue: QueueRoot, sequential: Bool, timeout: TimeInterval?) throws -> BackgroundSubmission {
        _ = try liveWorkerCount(queue)
        let submission = BackgroundSubmission(id: "\(newTaskID())-\(getpid())", queue: queue, taskIDs: tasks.map(\.id))
        let stem = submission.stem
        try PrivateDirectory.make(BackgroundSubmission.folder(queue))
        try AtomicFile.writeJSON(tasks, to: submission.tasksFile)
        var arguments = [WorkerLaunch.locateConductor(), "submit", "--wait", "--json", "--queue", queue.path, stem + ".tasks.json"]
        if sequential { arguments.append("--sequential") }
        if let timeout { arguments += ["--timeout", String(timeout)] }
        let child = try ChildProcess(arguments: arguments, directory: FileManager.default.currentDirectoryPath,
                                     environment: ProcessInfo.processInfo.environment,
                                     stdoutPath: submission.resultsFile, stderrPath: submission.logFile)
        // Reaped when it ends (at once: it has exited), so a starter that lives on, such as
        // `conductor mcp`, keeps no zombie per submission.
        child.onExit { _ = child.wait() }
        return submission
    }

    /// How many worker slots the queue has, when at least one worker lives.
    private static func liveWorkerCount(_ queue: QueueRoot) throws -> Int {
        let workers = workerCount(queue)
        guard workers > 0, QueueSnapshot.read(queue).workers.contains(where: \.alive) else {
            throw OrchestratorError.noLiveWorkers(queue: queue.path, waited: 0)
        }
        return workers
    }

    /// A unique id for a one-off `--prompt` or `--command` submission.
    package static func newTaskID(now: Date = Date()) -> String {
        "s\(Int(now.timeIntervalSince1970 * 1000))"
    }
}
