import ArgumentParser
import Conductor
import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

struct BatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Run a tasks file on N workers of its own, each in its own git worktree and branch.",
        discussion: """
        The tasks file is JSON: an object with "tasks" and optional batch-wide fields, or a bare array \
        of tasks. For example:
          {"repo": "../app", "base": "main", "workers": 2, "setup": "npm ci",
           "tasks": [
             {"id": "auth", "prompt": "Review auth.js for bugs", "cwd": "src"},
             {"id": "test", "command": "npm test", "timeout": 900, "stopOnError": true}
           ]}

        Task fields: "prompt" (for the agent) or "command" (for /bin/sh -c), exactly one; "id" \
        (letters, digits, '.', '_', '-'; default task-N); "cwd" (relative to the worktree, and may not \
        leave it); "timeout" (seconds); "stopOnError" (a failure stops the run: the rest is skipped); \
        "agent" (this prompt's own agent: a preset or a command template); "repo" (the task's \
        repository, relative to the tasks file). Batch-wide fields: "repo", "base" \
        (the base branch), "workers" (1 to 256), "agent" (a preset name such as claude, or a command \
        template with {prompt}), "setup" (a shell command run once in each worktree before its first task).

        The tasks file is checked completely first (fields, types, ids, repositories, base branches); \
        on any problem conductor prints one line per problem and exits 2 without writing anything.

        The batch lives in DIR/NAME/: a copy of the tasks file, batch.json, its own queue, the journal, \
        results.jsonl, logs, report.json and report.md. With --worktrees, worker n works in \
        DIR/NAME/<repo>/w<n> on branch conductor/NAME/w<n>, made from the base commit the first time it \
        gets a task for that repository; files listed in the repository's .worktreeinclude (gitignored \
        ones, e.g. .env) are copied in, and the tasks file's "setup" command runs once per worktree. \
        After each task the worker commits what it changed: one commit per task with the trailers \
        Conductor-Batch, Conductor-Task and Conductor-Worker.

        A task's repository is its "repo", else the file's "repo", else the repository of the current \
        directory. The base is --base, else the file's "base", else the branch HEAD points to.

        Ctrl-C stops dispatch, ends the running tasks (their work stays in the worktrees) and records them \
        cancelled; `conductor batch --resume --name NAME` then runs only the tasks that did not succeed, \
        in the same worktrees and branches.

        With --pool, the worktrees come from the repository's pool (DIR/pool/): the parked worktrees \
        of earlier --pool batches are moved to this batch's branches at its base, writing only the \
        files that differ and removing untracked ones, while ignored files (dependencies, build \
        caches) stay, and "setup" runs again only when its command changed. Its prune parks them \
        again; prune --pool removes the pool.

        With a shared queue, --queue postgres://… (or file:///DIR for hosts that share a filesystem; or \
        $CONDUCTOR_QUEUE holding such an address), the batch runs on workers on any host: the base commit must be on the repository's remote (--remote, default origin), \
        the tasks go to the queue, -w N local workers (`conductor worker`, 0 for none) join those \
        of other hosts (conductor worker NAME DIR --queue ADDRESS), and each worker pushes its branch \
        conductor/NAME/<worker name> to the remote. At the end the branches are fetched into the \
        repository and results.jsonl and the report written as for a local batch. If the coordinator \
        dies, conductor batch --resume -n NAME --queue ADDRESS waits again (the queue holds the state) and \
        runs the failed and skipped tasks again. --timeout, --retries (how often a task's lease may run \
        out) and --stop-on-error apply; --backoff, --heartbeat-timeout, --joblog, --pool and \
        --sequential are a local batch's.

        Examples:
          conductor batch --worktrees -w 3 tasks.json
          git log conductor/<name>/w0
          conductor report
          conductor batch --resume --name 20261125-101502
          conductor batch --worktrees --pool tasks.json   # reuse pooled worktrees
          conductor batch --worktrees -w 0 --queue postgres://c@db/c tasks.json
        """
    )

    @Argument(help: "The tasks file (- for standard input). With --resume, optional: the batch's own copy is used.")
    var tasksFile: String?

    @Flag(help: "Give every worker its own git worktree and branch (recommended).")
    var worktrees = false

    @Flag(help: "With --worktrees: take the worktrees from the repository's pool, and park them there at prune with what setup made (see prune --pool).")
    var pool = false

    @Option(name: [.short, .long], help: "How many workers (default: the file's \"workers\", else 3).")
    var workers: Int?

    @OptionGroup var storeOptions: StoreOptions

    @Option(name: [.short, .long], help: "The batch name (default: the UTC time, e.g. 20261125-101502); with --resume, the batch to continue.", completion: .batchNames)
    var name: String?

    @Option(help: "The base branch (default: the file's \"base\", else the branch HEAD points to).")
    var base: String?

    @OptionGroup var agentOptions: AgentOptions

    @OptionGroup var runOptions: RunOptions

    @Flag(help: "Print {\"batch\", \"results\", \"report\"} as JSON on stdout.")
    var json = false

    @Flag(help: "Continue the batch named by -n (or this repository's only batch): run only the tasks that did not succeed.")
    var resume = false

    @Option(help: ArgumentHelp("Run the batch on this shared queue, PostgreSQL or a directory (default: $CONDUCTOR_QUEUE when it is one), with workers on any host; -w local workers, 0 for none.", valueName: "postgres://…|file:///…"))
    var queue: String?

    @Option(help: ArgumentHelp("With a shared queue: the repository's remote that holds the base and receives the workers' branches.", valueName: "name"))
    var remote = "origin"

    func validate() throws {
        if let queue, try QueueOptions.sharedQueue(queue) == nil {
            throw ValidationError("--queue takes a shared queue's address, postgres://… or file:///… (a batch keeps its own queue directory otherwise), got '\(TaskQueueAddress.shown(queue))'")
        }
        if try sharedQueue != nil {
            try validateRemote()
            return
        }
        if let workers, !(1...256).contains(workers) { throw ValidationError("--workers must be 1 to 256, got \(workers)") }
        if !resume && tasksFile == nil { throw ValidationError("give a tasks file (or - for standard input)") }
        if pool && !worktrees && !resume { throw ValidationError("--pool keeps worktrees between batches: add --worktrees") }
    }

    func run() throws {
        if let sharedQueue = try sharedQueue { return try runRemote(sharedQueue) }
        let store = storeOptions.store
        let plan = resume ? try resumePlan(store) : try newPlan(store)
        for warning in plan.warnings { printError("warning: \(warning)") }
        let progress = ProgressPrinter(total: plan.tasks.count)
        let batch = BatchRun(plan: plan, options: runOptions.orchestratorOptions(progress: progress))
        SignalTrap.install([SIGINT, SIGTERM, SIGHUP]) { _ in
            progress.noteInterrupt("interrupted: stopping the workers; their tasks will be recorded cancelled")
            batch.interrupt()
        }
        let record = plan.record
        printError("batch \(record.name): \(plan.tasks.count) task(s) on \(record.workers) worker(s) in \(record.directory), queue \(record.queue.path)")
        printError("watch it from anywhere with: conductor status -n \(record.name) -d \(Path.parent(record.directory))")
        try conclude(try batch.run())
    }

    /// Writes the report of a finished (or interrupted) batch, prints it with the task table,
    /// and exits as the batch ended.
    func conclude(_ outcome: BatchRun.Outcome) throws {
        let report = try BatchReporting.writeReport(for: outcome.record, results: outcome.results)
        if json {
            try printJSON(BatchJSON(batch: outcome.record.name, directory: outcome.record.directory, results: outcome.results,
                                    summary: outcome.summary, report: report))
        } else {
            print(BatchReporting.table(outcome.results, record: outcome.record, report: report))
            print(ResultTable.summaryLine(outcome.summary))
            print(report.summary())
            if outcome.interrupted {
                print("resume with: conductor batch --resume --name \(outcome.record.name)" + (storeOptions.directory.map { " -d \($0)" } ?? "")
                      + (outcome.record.remote.map { " --queue '\($0.queue)'" } ?? ""))
            }
        }
        if outcome.interrupted { throw Failure.interrupted }
        if !outcome.summary.allSucceeded { throw Failure.tasksFailed }
    }

    func newPlan(_ store: BatchStore, checking check: (BatchPlan) throws -> BatchPlan = { $0 }) throws -> BatchPlan {
        let path = tasksFile ?? "-"
        let data = try TasksFile.read(path)
        let file = try TasksFile.parse(data, path: path)
        var options = BatchPlan.Options(store: store)
        options.name = name
        options.workers = workers
        options.base = base
        options.worktrees = worktrees
        options.pool = pool
        options.sequential = runOptions.sequential
        options.agent = try agentOptions.resolve(fileAgent: file.agent)
        options.agentChoice = agentOptions.choice(fileAgent: file.agent)
        return try BatchRun.start(file, tasksData: data, options: options, checking: check)
    }

    private func resumePlan(_ store: BatchStore) throws -> BatchPlan {
        let record = try store.choose(name, for: .change)
        if let remote = record.remote {
            throw InputError("batch \(record.name) runs on the shared queue \(remote.queue): resume it with --queue and that address (or $CONDUCTOR_QUEUE)")
        }
        return try BatchPlan.resuming(record, checking: tasksFile == "-" ? nil : tasksFile)
    }
}

/// What `conductor batch --json` prints.
struct BatchJSON: Encodable {
    let batch: String
    let directory: String
    let results: [TaskResult]
    let summary: RunSummary
    let report: MergeReport
}
