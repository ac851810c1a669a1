import ArgumentParser
import Conductor
import FoundationEssentials
import FoundationShims
import Queue
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

        A batch on a shared queue (conductor batch --queue postgres://… or file:///…) takes tasks too: \
        conductor submit -n NAME --queue ADDRESS (or $CONDUCTOR_QUEUE) adds them to the batch on its \
        queue, where any of the queue's workers runs them on the batch's branches. Its coordinator, \
        while it runs, waits for them and records them with the rest; once it has ended, conductor \
        batch --resume -n NAME does. With --wait, submit waits for them and prints their results.
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
        let tasks = try readTasks()
        if let batch = try target.remoteBatch() {
            guard let shared = try target.sharedQueue else {
                throw InputError("batch \(batch.name) runs on the shared queue \(batch.remote?.queue ?? "?"): give its address with --queue (or $CONDUCTOR_QUEUE)")
            }
            return try hidingPassword(of: shared) { try submit(tasks, toShared: batch, on: shared) }
        }
        let queue = try target.root()
        if !wait {
            let submission = try Submission.startInBackground(tasks, on: queue, sequential: sequential, timeout: timeout)
            if json { return try printJSON(submission) }
            return print("submitted \(tasks.count) task(s) (\(submission.taskIDs.joined(separator: ", "))); results will be in \(submission.resultsFile)")
        }
        var options = OrchestratorOptions()
        options.timeout = timeout
        let progress = ProgressPrinter(total: tasks.count)
        options.events = { progress.handle($0) }
        let cancellation = CancellationFlag()
        SignalTrap.install([SIGINT, SIGTERM]) { _ in
            progress.noteInterrupt("interrupted: no new tasks will start; waiting for the running ones")
            cancellation.raise()
        }
        let report = try Submission.wait(for: tasks, on: queue, options: options, sequential: sequential, cancellation: cancellation,
                                         warning: { printError("warning: \($0)") })
        try show(report)
    }

    /// Adds `tasks` to `batch`, which runs on the shared `queue`; with `--wait`, waits for them.
    private func submit(_ tasks: [TaskSpec], toShared batch: BatchRecord, on queue: TaskQueueAddress) throws {
        if sequential { throw InputError("--sequential is for a queue directory's workers; a batch on a shared queue runs its tasks side by side") }
        let submission = RemoteBatchSubmission(tasks, to: batch, queue: queue)
        try submission.submit(timeout: timeout)
        let recorder = FileLock.holder(of: batch.queue.orchestratorLockFile).map { "its coordinator (pid \($0)) records them" }
            ?? "no coordinator runs it: conductor batch --resume -n \(batch.name) -d \(Path.parent(batch.directory)) --queue '\(queue)' waits for them and records them"
        guard wait else {
            if json { return try printJSON(SharedSubmissionJSON(batch: batch.name, queue: queue.description, tasks: tasks.map(\.id))) }
            return print("submitted \(tasks.count) task(s) (\(tasks.map(\.id).joined(separator: ", "))) to batch \(batch.name) on \(queue); \(recorder)")
        }
        printError("submitted to batch \(batch.name) on \(queue); \(recorder)")
        let progress = ProgressPrinter(total: tasks.count) { submission.workerName($0) ?? String($0) }
        let cancellation = CancellationFlag()
        SignalTrap.install([SIGINT, SIGTERM]) { _ in
            progress.noteInterrupt("interrupted: no longer waiting; the tasks stay on the queue")
            cancellation.raise()
        }
        let report = try submission.wait(cancellation: cancellation, events: progress.handle)
        try show(report)
    }

    /// Prints what `--wait` waited for (a table and a summary, or `--json`); exit 1 when a task failed.
    private func show(_ report: RunReport) throws {
        if json {
            try printJSON(report)
        } else {
            print(ResultTable.render(report.results))
            print(ResultTable.summaryLine(report.summary))
        }
        if !report.summary.allSucceeded { throw Failure.tasksFailed }
    }

    private func readTasks() throws -> [TaskSpec] {
        if let prompt { return [TaskSpec(id: id ?? Submission.newTaskID(), kind: .prompt(prompt), timeout: timeout)] }
        if let command { return [TaskSpec(id: id ?? Submission.newTaskID(), kind: .command(command), timeout: timeout)] }
        return try TasksFile.load(tasksFile ?? "-").tasks
    }
}

/// What `conductor submit -n NAME --json` prints, without `--wait`, for a batch on a shared queue.
struct SharedSubmissionJSON: Encodable {
    let batch: String
    let queue: String
    let tasks: [String]
}
