import ArgumentParser
import Conductor
import FoundationEssentials
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
        try target.queueOptions.requireDirectory(for: "submit")
        let sources = [tasksFile != nil, prompt != nil, command != nil].filter { $0 }.count
        guard sources == 1 else { throw ValidationError("give exactly one of: a tasks file, --prompt TEXT, --command CMD") }
        if let id, !TaskSpec.isUsableID(id) { throw ValidationError("--id '\(id)' must be letters, digits, '.', '_' or '-'") }
    }

    func run() throws {
        let queue = try target.root()
        let tasks = try readTasks()
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
