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

    /// Runs `tasks` on the queue's live workers and waits for their results; a session's
    /// `results.jsonl` gets each task's final record.
    ///
    /// - Parameters:
    ///   - started: called with the orchestrator before the run, so a caller can cancel it.
    ///   - warning: told when the results could not be added to the session's `results.jsonl`
    ///     (the tasks ran: their results are still returned).
    /// - Throws: `OrchestratorError.noLiveWorkers` when no worker lives, `OrchestratorError` when
    ///   the run cannot go ahead.
    public static func wait(for tasks: [TaskSpec], on queue: QueueRoot, options: OrchestratorOptions, sequential: Bool,
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

    /// A submission running in the background: its id, the file its results will be written to
    /// (`<queue>/submissions/<id>.json`), and its task ids.
    public struct Ticket: Codable, Sendable {
        public let submission: String
        public let results: String
        public let tasks: [String]
    }

    /// Writes `tasks` into the queue's submissions folder and starts `conductor submit --wait
    /// --json` on them as a detached process whose output is the results file.
    ///
    /// - Throws: `OrchestratorError.noLiveWorkers` when no worker lives, `QueueError` when the
    ///   folder cannot be written, `ChildProcessError` when conductor cannot be started.
    public static func startInBackground(_ tasks: [TaskSpec], on queue: QueueRoot, sequential: Bool, timeout: TimeInterval?) throws -> Ticket {
        _ = try liveWorkerCount(queue)
        let folder = submissionsFolder(queue)
        try PrivateDirectory.make(folder)
        let stem = "\(folder)/\(newTaskID())-\(getpid())"
        try AtomicFile.writeJSON(tasks, to: stem + ".tasks.json")
        var arguments = [WorkerLaunch.runningProgram, "submit", "--wait", "--json", "--queue", queue.path, stem + ".tasks.json"]
        if sequential { arguments.append("--sequential") }
        if let timeout { arguments += ["--timeout", String(timeout)] }
        _ = try ChildProcess(arguments: arguments, directory: FileManager.default.currentDirectoryPath,
                             environment: ProcessInfo.processInfo.environment,
                             stdoutPath: stem + ".json", stderrPath: stem + ".log")
        return Ticket(submission: Path.name(stem), results: stem + ".json", tasks: tasks.map(\.id))
    }

    /// `<queue>/submissions`, where background submissions keep their tasks, results and logs.
    public static func submissionsFolder(_ queue: QueueRoot) -> String {
        "\(queue.path)/submissions"
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
    public static func newTaskID(now: Date = Date()) -> String {
        "s\(Int(now.timeIntervalSince1970 * 1000))"
    }
}
