import ArgumentParser
import Conductor
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

struct OrchestratorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orchestrator",
        abstract: "Run a tasks file on N workers already started with `conductor worker`.",
        discussion: """
        Tasks are assigned only to a worker slot that a live process owns and that has nothing outstanding; \
        each result is collected exactly once. A worker that dies mid-task (dead process, stale heartbeat) \
        has its task re-queued on another worker, up to --retries times (a silent worker is killed with its \
        task first, so two attempts never overlap); so are prompts whose agent itself reported a rate or \
        usage limit, after an exponential backoff. A command's output is never taken for a rate limit.

        The tasks file is a JSON object {"tasks": [...]} or a bare array; each task has "prompt" or \
        "command", and optionally "id", "cwd", "timeout" (seconds), "stopOnError". "-" reads standard input.

        Every run appends to a journal (fsync'd JSON lines) under <queue>/journal/ unless --journal says where.

        Examples:
          conductor orchestrator 3 tasks.json
          echo '[{"command": "make test"}, {"prompt": "Fix the typos in README.md"}]' |
            conductor orchestrator 2 --json -
          conductor orchestrator 1 --sequential --stop-on-error pipeline.json
        """
    )

    @Argument(help: "How many workers to use: slots 0 to N-1.")
    var workers: Int

    @Argument(help: "The tasks file, or - for standard input.")
    var tasksFile: String = "-"

    @OptionGroup var queueOptions: QueueOptions

    @OptionGroup var runOptions: RunOptions

    @Option(name: .customLong("worker-wait"), help: ArgumentHelp("How long to wait for a live worker before giving up.", valueName: "seconds"))
    var workerWait: Double = 10

    @Flag(help: "Print {\"results\": [...], \"summary\": {...}} on stdout.")
    var json = false

    @Option(help: ArgumentHelp("The journal file (default: <queue>/journal/<time>-<pid>.jsonl).", valueName: "file"))
    var journal: String?

    func validate() throws {
        guard (1...256).contains(workers) else { throw ValidationError("the number of workers must be 1 to 256, got \(workers)") }
        guard workerWait >= 0 else { throw ValidationError("--worker-wait must be 0 or more") }
        try queueOptions.requireDirectory(for: "orchestrator")
    }

    func run() throws {
        let file = try TasksFile.load(tasksFile)
        let queue = queueOptions.root
        let progress = ProgressPrinter(total: file.tasks.count)
        var options = runOptions.orchestratorOptions(progress: progress)
        options.noWorkerTimeout = workerWait
        options.journalPath = try journal ?? Journal.defaultPath(for: queue)
        let orchestrator = try Orchestrator(workers: workers, queue: queue, options: options)
        let cancellation = CancellationFlag()
        SignalTrap.install([SIGINT, SIGTERM]) { _ in
            progress.noteInterrupt("interrupted: no new tasks will start; waiting for the running ones")
            cancellation.raise()
        }
        let report = try orchestrator.run(file.tasks, sequential: runOptions.sequential, cancellation: cancellation)
        if json {
            try printJSON(report)
        } else {
            print(ResultTable.render(report.results) + ResultTable.warningLines(report.results))
            print(ResultTable.summaryLine(report.summary))
        }
        if report.summary.cancelled > 0 && report.results.contains(where: { $0.result.status == .cancelled && $0.worker == nil }) {
            throw Failure.interrupted
        }
        if !report.summary.allSucceeded { throw Failure.tasksFailed }
    }
}

/// Prints a value as pretty, key-sorted JSON on stdout.
func printJSON<Value: Encodable>(_ value: Value) throws {
    print(String(decoding: try PrettyJSON.encode(value), as: UTF8.self))
}
