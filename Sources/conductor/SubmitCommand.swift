import ArgumentParser
import Conductor
import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

struct SubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Hand tasks to running workers (a launched session's, or any on the queue).",
        discussion: """
        This is the command a person, or Claude Code in a session's orchestrator pane, runs. The queue \
        is the named session's or batch's (-n NAME, -d DIR), else --queue, else $CONDUCTOR_HOME (set in \
        the orchestrator pane of `conductor launch`). In a \
        session launched with --worktrees each task's changes are committed to its worker's branch.

        Without --wait the tasks are dispatched in the background and their results written to \
        <queue>/submissions/<id>.json; with --wait conductor waits and prints them (--json: as \
        `conductor orchestrator --json` does). Submissions take turns on a queue. Either way a \
        session's results.jsonl gets each task's final record, so `conductor report NAME` counts it.

        Examples:
          conductor submit --wait --prompt 'Add input validation to src/api.py'
          conductor submit --wait --json --command 'swift test'
          conductor submit tasks.json
          conductor submit -n review --wait --prompt 'Fix the flaky test'  # anywhere
        """
    )

    @Argument(help: "A tasks file (- for standard input), unless --prompt or --command is given.")
    var tasksFile: String?

    @Option(help: "One prompt for the agent.")
    var prompt: String?

    @Option(help: "One shell command.")
    var command: String?

    @Option(help: "The task id for --prompt or --command (default: s<milliseconds>).")
    var id: String?

    @OptionGroup var target: QueueTargetOptions

    @Flag(help: "Wait for the results and print them.")
    var wait = false

    @Flag(help: "With --wait, print {\"results\": [...], \"summary\": {...}}; without, {\"submission\", \"results\", \"tasks\"}.")
    var json = false

    @Flag(help: "Run the tasks in order, one at a time.")
    var sequential = false

    @Option(help: ArgumentHelp("Seconds a task may run when it sets no timeout.", valueName: "seconds"))
    var timeout: Double?

    func validate() throws {
        let sources = [tasksFile != nil, prompt != nil, command != nil].filter { $0 }.count
        guard sources == 1 else { throw ValidationError("give exactly one of: a tasks file, --prompt TEXT, --command CMD") }
        if let id, !TaskSpec.isUsableID(id) { throw ValidationError("--id '\(id)' must be letters, digits, '.', '_' or '-'") }
    }

    func run() throws {
        let queue = try target.root()
        let tasks = try readTasks()
        let workers = Submission.workerCount(queue)
        guard workers > 0, QueueSnapshot.read(queue).workers.contains(where: \.alive) else {
            throw OrchestratorError.noLiveWorkers(queue: queue.path, waited: 0)
        }
        if !wait { return try submitInBackground(tasks, queue: queue) }
        var options = OrchestratorOptions()
        options.timeout = timeout
        let progress = ProgressPrinter(total: tasks.count)
        options.events = { progress.handle($0) }
        let record = Submission.record(for: queue)
        let orchestrator = try Orchestrator(workers: workers, queue: queue, options: Submission.options(options, record: record))
        SignalTrap.install([SIGINT, SIGTERM]) { _ in
            progress.noteInterrupt("interrupted: no new tasks will start; waiting for the running ones")
            orchestrator.cancel()
        }
        let report = try orchestrator.run(tasks, sequential: sequential)
        if let record, record.isSession {
            // The tasks ran; a results file that cannot be updated must not lose what they did.
            do { try Submission.recordResults(report.results, in: record) }
            catch { printError("warning: the results were not added to \(record.resultsFile): \(error)") }
        }
        if json {
            try printJSON(report)
        } else {
            print(ResultTable.render(report.results))
            print(ResultTable.summaryLine(report.summary))
        }
        if !report.summary.allSucceeded { throw Failure.tasksFailed }
    }

    private func readTasks() throws -> [TaskSpec] {
        if let prompt { return [TaskSpec(id: id ?? Submission.newTaskID(), prompt: prompt, timeout: timeout)] }
        if let command { return [TaskSpec(id: id ?? Submission.newTaskID(), command: command, timeout: timeout)] }
        return try TasksFile.load(tasksFile ?? "-").tasks
    }

    /// Writes the tasks into the queue's submissions folder and starts `submit --wait --json` on
    /// them as a detached process whose output is the results file.
    private func submitInBackground(_ tasks: [TaskSpec], queue: QueueRoot) throws {
        let folder = "\(queue.path)/submissions"
        try QueueRoot.makePrivateDirectory(folder)
        let stem = "\(folder)/\(Submission.newTaskID())-\(getpid())"
        try AtomicFile.writeJSON(tasks, to: stem + ".tasks.json")
        var arguments = [WorkerLaunch.locateConductor(), "submit", "--wait", "--json", "--queue", queue.path, stem + ".tasks.json"]
        if sequential { arguments.append("--sequential") }
        if let timeout { arguments += ["--timeout", String(timeout)] }
        _ = try ChildProcess(arguments: arguments, directory: FileManager.default.currentDirectoryPath,
                             environment: ProcessInfo.processInfo.environment,
                             stdoutPath: stem + ".json", stderrPath: stem + ".log")
        if json {
            return try printJSON(SubmissionJSON(submission: Path.name(stem), results: stem + ".json", tasks: tasks.map(\.id)))
        }
        print("submitted \(tasks.count) task(s) (\(tasks.map(\.id).joined(separator: ", "))); results will be in \(stem).json")
    }
}

/// What `conductor submit --json` prints without --wait: the submission id, the file its
/// results will be written to (`<queue>/submissions/<id>.json`), and the task ids.
struct SubmissionJSON: Encodable {
    let submission: String
    let results: String
    let tasks: [String]
}
