import ArgumentParser
import Conductor
import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

/// `--queue`: where the queue lives.
struct QueueOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The queue directory (default: $CONDUCTOR_HOME, else ~/.claude-code/orchestrator).", valueName: "dir"))
    var queue: String?

    var root: QueueRoot { QueueRoot.resolve(queue) }

    /// Refuses a shared queue's address for `command`, which works on a queue directory (the
    /// address would be taken for a relative path).
    func requireDirectory(for command: String) throws {
        guard let queue, let shared = try? TaskQueueAddress(queue) else { return }
        throw ValidationError("conductor \(command) works on a queue directory, not \(shared): a shared queue (postgres://… or file:///…) takes batches (conductor batch --worktrees --queue ADDRESS) and their workers (conductor worker NAME DIR --queue ADDRESS), and conductor status -n NAME --queue ADDRESS shows such a batch")
    }

    /// The shared queue that `option` (a `--queue` value), else `$CONDUCTOR_QUEUE`, names, or nil
    /// when that is a queue directory (or nothing).
    ///
    /// - Throws: `ValidationError` for a `file:` address that names no absolute path.
    static func sharedQueue(_ option: String?) throws -> TaskQueueAddress? {
        guard let text = option ?? ProcessInfo.processInfo.environment["CONDUCTOR_QUEUE"] else { return nil }
        do {
            return try TaskQueueAddress(text)
        } catch {
            throw ValidationError("\(error)")
        }
    }
}

/// `-n NAME` (found in `-d DIR`) for a batch's or session's queue, or `--queue DIR` for a bare queue.
struct QueueTargetOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "The batch or session whose queue to use (found in -d DIR).", completion: .batchNames)
    var name: String?

    @OptionGroup var storeOptions: StoreOptions

    @OptionGroup var queueOptions: QueueOptions

    func validate() throws {
        if name != nil, queueOptions.queue != nil, try sharedQueue == nil { throw ValidationError("give -n NAME or --queue DIR, not both") }
    }

    /// The shared queue (for a batch run on one): `--queue`, else `$CONDUCTOR_QUEUE`, when it is one.
    var sharedQueue: TaskQueueAddress? {
        get throws { try QueueOptions.sharedQueue(queueOptions.queue) }
    }

    /// The named batch when it ran on a shared queue, else nil.
    ///
    /// - Throws: `InputError` when `--queue` names a shared queue but no batch (or a batch that
    ///   ran on its own queue directory).
    func remoteBatch() throws -> BatchRecord? {
        let given = queueOptions.queue == nil ? nil : try sharedQueue
        guard let name else {
            if let given { throw InputError("with a shared queue (\(given)), name the batch: -n NAME") }
            return nil
        }
        let record = try storeOptions.store.load(name)
        if let given, let problem = record.queueProblem(given) { throw InputError(problem) }
        return record.remote == nil ? nil : record
    }

    /// The named batch's or session's queue, else `--queue`, else `$CONDUCTOR_HOME`, else the default queue.
    func root() throws -> QueueRoot {
        guard let name else { return queueOptions.root }
        return try storeOptions.store.load(name).queue
    }
}

/// How a run schedules and retries its tasks (`batch` and `orchestrator`).
struct RunOptions: ParsableArguments {
    @Flag(help: "Run the tasks in order, one at a time (in a batch: in one worktree, each seeing the last one's work).")
    var sequential = false

    @Flag(name: .customLong("stop-on-error"), help: "Stop at the first failed task (as if every task said stopOnError). With --sequential the rest are skipped; without --sequential no new task starts, running ones finish and the rest are skipped (GNU parallel's --halt soon,fail=1).")
    var stopOnError = false

    @Option(help: ArgumentHelp("Seconds a task may run when it sets no timeout (default: no limit).", valueName: "seconds"))
    var timeout: Double?

    @Option(help: "Extra attempts for a task whose worker died or that hit a rate limit. On a shared queue: how often a task's lease may run out; a task given back (its agent hit a rate limit, its host could not fetch) does not count.")
    var retries = 2

    @Option(help: ArgumentHelp("Seconds before the first rate-limit retry; doubles each time (default: \(Int(OrchestratorOptions().backoff))).", valueName: "seconds"))
    var backoff: Double?

    @Option(name: .customLong("heartbeat-timeout"), help: ArgumentHelp("A worker silent this long is taken for dead and its task re-queued (default: \(Int(OrchestratorOptions().heartbeatTimeout))).", valueName: "seconds"))
    var heartbeatTimeout: Double?

    @Option(help: ArgumentHelp("Also write a GNU parallel style job log here.", valueName: "file"))
    var joblog: String?

    /// Three missed heartbeats: shorter, a busy machine makes live workers look dead.
    static let shortestHeartbeatTimeout: Double = 3

    func validate() throws {
        if let timeout, timeout <= 0 { throw ValidationError("--timeout must be greater than 0") }
        guard retries >= 0 else { throw ValidationError("--retries must be 0 or more") }
        if let backoff, backoff < 0 { throw ValidationError("--backoff must be 0 or more") }
        if let heartbeatTimeout, heartbeatTimeout < Self.shortestHeartbeatTimeout {
            throw ValidationError("--heartbeat-timeout must be at least \(Int(Self.shortestHeartbeatTimeout)) seconds: workers report every second, and a worker taken for silent is killed with its task")
        }
    }

    /// Orchestrator options carrying these settings, reporting progress to `progress`.
    func orchestratorOptions(progress: ProgressPrinter) -> OrchestratorOptions {
        var options = OrchestratorOptions()
        options.retries = retries
        options.timeout = timeout
        if let backoff { options.backoff = backoff }
        if let heartbeatTimeout { options.heartbeatTimeout = heartbeatTimeout }
        options.stopOnError = stopOnError
        options.jobLogPath = joblog
        options.events = { progress.handle($0) }
        return options
    }
}

/// `-d/--dir`: where batches and sessions live.
struct StoreOptions: ParsableArguments {
    @Option(name: [.short, .customLong("dir")], help: ArgumentHelp(
        "Where batches and sessions live (default: $CONDUCTOR_DIR, else ~/conductor-work).", valueName: "dir"))
    var directory: String?

    var store: BatchStore { BatchStore.resolve(directory) }
}

/// `[NAME]`, `-n/--name NAME` and `-d/--dir DIR`: the batch or session a command acts on.
struct BatchSelection: ParsableArguments {
    @Argument(help: ArgumentHelp("The batch or session (default: the newest for this repository).", valueName: "name"), completion: .batchNames)
    var positionalName: String?

    @Option(name: [.short, .long], help: "The batch or session (the same as the NAME argument).", completion: .batchNames)
    var name: String?

    @OptionGroup var storeOptions: StoreOptions

    func validate() throws {
        if let name, let positionalName, name != positionalName {
            throw ValidationError("two names given ('\(positionalName)' and -n '\(name)'); give one")
        }
    }

    /// The name given either way, if any.
    var givenName: String? { name ?? positionalName }

    /// The batch named, or the one this repository's newest batch when none is (see `BatchStore.choose`).
    func record(for intent: BatchStore.Intent) throws -> BatchRecord {
        try storeOptions.store.choose(givenName, for: intent)
    }
}

/// `-n NAME` and `-d DIR` for a command that only reads a batch or session and whose argument
/// names something in it (a task, a worker).
struct InspectedBatch: ParsableArguments {
    @Option(name: [.short, .long], help: ArgumentHelp("The batch or session (default: the newest for this repository).", valueName: "name"),
            completion: .batchNames)
    var name: String?

    @OptionGroup var storeOptions: StoreOptions

    /// The batch named, or this repository's newest (see `BatchStore.choose`).
    func record() throws -> BatchRecord {
        try storeOptions.store.choose(name, for: .inspect)
    }
}

/// How prompts reach an agent.
struct AgentOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The agent preset for prompts: claude (default), codex, gemini, cursor, opencode or aider; the README's agent table gives each command line.", valueName: "name"))
    var agent: String?

    @Option(name: .customLong("agent-cmd"), help: ArgumentHelp(
        "A custom agent command; {prompt} marks the prompt's place, e.g. 'aider --yes --message {prompt}'. Never run by a shell. Default: $CONDUCTOR_AGENT_CMD.",
        valueName: "template"))
    var agentCommand: String?

    @Option(name: .customLong("agent-arg"), help: ArgumentHelp(
        "An extra argument for the agent, before the prompt (repeatable), e.g. --agent-arg=--model --agent-arg=sonnet.",
        valueName: "arg"))
    var agentArguments: [String] = []

    /// The agent these options name (see `AgentChoice.chosen`).
    func resolve(fileAgent: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Agent {
        try choice(fileAgent: fileAgent).agent(environment: environment)
    }

    /// `--agent-cmd`, else `--agent`, else the tasks file's `agent`, with the `--agent-arg`s.
    func choice(fileAgent: String? = nil) -> AgentChoice {
        .chosen(template: agentCommand, preset: agent, fileAgent: fileAgent, extraArguments: agentArguments)
    }
}
