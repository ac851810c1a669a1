import ArgumentParser
import Conductor
import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Serve one worker slot (wait for task.json, run it in DIR, write result.json), or a shared queue.",
        discussion: """
        The worker owns <queue>/workers/ID through .lock/ (refusing to start when a live worker holds it), \
        reports idle|working|done|error in status.json with a heartbeat, and waits with inotify \
        (CONDUCTOR_WATCH=poll to poll). A task with "command" runs via /bin/sh -c; a task with "prompt" \
        goes to the agent. stdout and stderr are kept in the slot's logs/ directory, at most 4 MiB each: \
        the first and the last 2 MiB, with a line "… N bytes cut …" between them. A log is made when \
        its stream first writes: a task that printed nothing leaves none, and result.json names only \
        the logs there are.

        Tasks get the worker's environment plus CONDUCTOR_TASK_ID, CONDUCTOR_WORKER, CONDUCTOR_SEQ and \
        CONDUCTOR_ATTEMPT. SIGTERM or SIGINT ends the running task's process group, records it cancelled \
        and releases the slot.

        Example: conductor worker 0 ~/src/app --queue /tmp/q

        With a shared queue, --queue postgres://… or file:///DIR (or $CONDUCTOR_QUEUE holding such an \
        address), ID is a name unique among \
        live workers (e.g. hostA-0; a second live worker with the name is refused) and DIR is where \
        the worker keeps a clone of each task's remote and a worktree per batch, on branch \
        conductor/<batch>/ID. It claims tasks of any batch with a lease (--lease) it renews while the \
        task runs, commits, pushes the branch to the remote, and only then records the result. A \
        retried task whose commit an earlier attempt already pushed is recorded, not run again. \
        Prompts go to the agent the batch chose (each task carries it; --agent options are for a \
        queue directory), and CONDUCTOR_WORKER is the name. SIGTERM or SIGINT ends the running \
        task's process group and gives its claim back.

        Example: conductor worker hostA-0 ~/conductor-host --queue postgres://conductor@db/conductor
                 conductor worker box-1 ~/conductor-host --queue file:///srv/conductor-queue
        """
    )

    @Argument(help: "The worker's slot number (0, 1, …); with a shared queue, its name (hostA-0).")
    var id: String

    @Argument(help: "The directory tasks run in (unless a task names its own cwd).")
    var directory: String

    @OptionGroup var queueOptions: QueueOptions
    @OptionGroup var agentOptions: AgentOptions

    @Option(help: ArgumentHelp("Seconds a task may run when it sets no timeout (default: no limit).", valueName: "seconds"))
    var timeout: Double?

    @Option(help: ArgumentHelp("Seconds between SIGTERM and SIGKILL when a task is ended.", valueName: "seconds"))
    var grace: Double = 5

    @Option(help: ArgumentHelp("With a shared queue: seconds a claim holds without renewal (renewed three times per lease).", valueName: "seconds"))
    var lease: Double = 30

    @Option(help: ArgumentHelp("With a shared queue: seconds between looks at the queue when nothing wakes the worker (NOTIFY, inotify), "
                               + "which is also how soon expired claims go back (default: 5, at most half the lease).", valueName: "seconds"))
    var poll: Double?

    @Option(name: .customLong("parent-pid"), help: .hidden)
    var parentPid: Int32?

    /// The shared queue: `--queue`, else `$CONDUCTOR_QUEUE`, when it is one.
    private var sharedQueue: TaskQueueAddress? {
        get throws { try QueueOptions.sharedQueue(queueOptions.queue) }
    }

    func validate() throws {
        if try sharedQueue != nil {
            if let problem = RemoteWorkerConfiguration.problem(withName: id) { throw ValidationError(problem) }
            guard lease >= 1 else { throw ValidationError("--lease must be at least 1 second") }
            if let poll, poll <= 0 { throw ValidationError("--poll must be greater than 0") }
        } else {
            guard let slot = Int(id), slot >= 0 else {
                throw ValidationError("the worker id must be a slot number (0 or more) with a queue directory, got '\(id)'; names like hostA-0 are for a shared queue, --queue postgres://… or file:///…")
            }
        }
        guard Path.isDirectory(directory) else {
            throw ValidationError("the directory '\(directory)' does not exist")
        }
        if let timeout, timeout <= 0 { throw ValidationError("--timeout must be greater than 0") }
    }

    func run() throws {
        if let sharedQueue = try sharedQueue { return try serveRemote(sharedQueue) }
        var configuration = WorkerConfiguration(
            id: Int(id) ?? 0, directory: Path.absolute(directory),
            queue: queueOptions.root, agent: try agentOptions.resolve())
        configuration.defaultTimeout = timeout
        configuration.grace = grace
        configuration.parentPid = parentPid
        try WorkerEntry.serve(configuration) { printError($0) }
    }

    /// Serves the shared `queue` until SIGINT, SIGTERM or SIGHUP.
    private func serveRemote(_ queue: TaskQueueAddress) throws {
        var configuration = RemoteWorkerConfiguration(name: id, directory: Path.absolute(directory), queue: queue)
        configuration.lease = lease
        configuration.pollInterval = poll ?? min(5, lease / 2)
        configuration.defaultTimeout = timeout
        configuration.grace = grace
        let worker = RemoteWorker(configuration: configuration) { printError($0) }
        SignalTrap.install([SIGINT, SIGTERM, SIGHUP]) { _ in worker.stop() }
        // A coordinator's local worker (`conductor batch --queue … -w N`) ends with it.
        let parentWatch = parentPid.map { parent in
            let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "conductor.worker.parent"))
            timer.schedule(deadline: .now() + 1, repeating: 1)
            timer.setEventHandler {
                guard getppid() != parent else { return }
                printError("worker \(id): parent process \(parent) is gone; stopping")
                worker.stop()
            }
            timer.resume()
            return timer
        }
        defer { parentWatch?.cancel() }
        try worker.run()
    }
}
