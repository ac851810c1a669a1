import ArgumentParser
import Conductor
import Foundation

struct OrchestratorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orchestrator",
        abstract: "Run a tasks file on N workers already started with `conductor worker`.",
        discussion: """
        Tasks are assigned only to a worker slot that a live process owns and that has nothing outstanding; \
        each result is collected exactly once. A worker that dies mid-task (dead process, stale heartbeat) \
        has its task re-queued on another worker, up to --retries times; so are failures that look like \
        rate limits (429, "rate limit", "overloaded"), after an exponential backoff.

        The tasks file is a JSON object {"tasks": [...]} or a bare array; each task has "prompt" or \
        "command", and optionally "id", "cwd", "timeout" (seconds), "stopOnError". "-" reads standard input.

        Every run appends to a journal (fsync'd JSON lines) under <queue>/journal/ unless --journal says where.

        Examples:
          conductor orchestrator 3 tasks.json
          echo '[{"command": "make test"}, {"prompt": "Fix the typos in README.md"}]' | conductor orchestrator 2 --json -
          conductor orchestrator 1 --sequential --stop-on-error pipeline.json
        """
    )

    @Argument(help: "How many workers to use: slots 0 to N-1.")
    var workers: Int

    @Argument(help: "The tasks file, or - for standard input.")
    var tasksFile: String = "-"

    @OptionGroup var queueOptions: QueueOptions

    @Flag(help: "Run the tasks one after another, in order, on one worker at a time.")
    var sequential = false

    @Flag(name: .customLong("stop-on-error"), help: "With --sequential: a failed task skips the rest (as if every task said stopOnError).")
    var stopOnError = false

    @Option(help: ArgumentHelp("Seconds a task may run when it sets no timeout (default: no limit).", valueName: "seconds"))
    var timeout: Double?

    @Option(help: "Extra attempts for a task whose worker died or that hit a rate limit.")
    var retries = 2

    @Option(help: ArgumentHelp("Seconds before the first rate-limit retry; doubles each time.", valueName: "seconds"))
    var backoff: Double = 2

    @Option(name: .customLong("heartbeat-timeout"), help: ArgumentHelp("A worker silent this long is taken for dead and its task re-queued.", valueName: "seconds"))
    var heartbeatTimeout: Double = 20

    @Option(name: .customLong("worker-wait"), help: ArgumentHelp("How long to wait for a live worker before giving up.", valueName: "seconds"))
    var workerWait: Double = 10

    @Flag(help: "Print {\"results\": [...], \"summary\": {...}} on stdout.")
    var json = false

    @Option(help: ArgumentHelp("Also write a GNU parallel style job log here.", valueName: "file"))
    var joblog: String?

    @Option(help: ArgumentHelp("The journal file (default: <queue>/journal/<time>-<pid>.jsonl).", valueName: "file"))
    var journal: String?

    func validate() throws {
        guard (1...256).contains(workers) else { throw ValidationError("the number of workers must be 1 to 256, got \(workers)") }
        guard retries >= 0 else { throw ValidationError("--retries must be 0 or more") }
        if let timeout, timeout <= 0 { throw ValidationError("--timeout must be greater than 0") }
        guard backoff >= 0 else { throw ValidationError("--backoff must be 0 or more") }
        guard heartbeatTimeout > 0, workerWait >= 0 else { throw ValidationError("--heartbeat-timeout must be greater than 0 and --worker-wait 0 or more") }
    }

    func run() throws {
        let file = try TasksFile.load(tasksFile)
        let queue = queueOptions.root
        var options = OrchestratorOptions()
        options.retries = retries
        options.timeout = timeout
        options.backoff = backoff
        options.stopOnError = stopOnError
        options.heartbeatTimeout = heartbeatTimeout
        options.noWorkerTimeout = workerWait
        options.jobLogPath = joblog
        options.journalPath = try journal ?? defaultJournalPath(queue)
        let progress = ProgressPrinter(total: file.tasks.count)
        options.events = { progress.handle($0) }
        let orchestrator = try Orchestrator(workers: workers, queue: queue, options: options)
        SignalTrap.install([SIGINT, SIGTERM]) { _ in
            progress.note("interrupted: no new tasks will start; waiting for the running ones")
            orchestrator.cancel()
        }
        let report = try orchestrator.run(file.tasks, sequential: sequential)
        if json {
            try printJSON(report)
        } else {
            print(ResultTable.render(report.results))
            print(ResultTable.summaryLine(report.summary))
        }
        if report.summary.cancelled > 0 && report.results.contains(where: { $0.result.status == .cancelled && $0.worker == nil }) {
            throw Failure.interrupted
        }
        if !report.summary.allSucceeded { throw Failure.tasksFailed }
    }

    private func defaultJournalPath(_ queue: QueueRoot) throws -> String {
        let directory = "\(queue.path)/journal"
        try queue.create()
        try QueueRoot.makePrivateDirectory(directory)
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        return "\(directory)/\(stamp)-\(getpid()).jsonl"
    }
}

/// Prints a value as pretty, key-sorted JSON on stdout.
func printJSON<Value: Encodable>(_ value: Value) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
