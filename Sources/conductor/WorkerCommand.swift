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
        abstract: "Serve one worker slot: wait for task.json, run it in DIR, write result.json.",
        discussion: """
        The worker owns <queue>/workers/ID through .lock/ (refusing to start when a live worker holds it), \
        reports idle|working|done|error in status.json with a heartbeat, and waits with inotify \
        (CONDUCTOR_WATCH=poll to poll). A task with "command" runs via /bin/sh -c; a task with "prompt" \
        goes to the agent. stdout and stderr are kept in the slot's logs/ directory, at most 4 MiB each: \
        the first and the last 2 MiB, with a line "… N bytes cut …" between them.

        Tasks get the worker's environment plus CONDUCTOR_TASK_ID, CONDUCTOR_WORKER, CONDUCTOR_SEQ and \
        CONDUCTOR_ATTEMPT. SIGTERM or SIGINT ends the running task's process group, records it cancelled \
        and releases the slot.

        Example: conductor worker 0 ~/src/app --queue /tmp/q
        """
    )

    @Argument(help: "The worker's slot number (0, 1, …).")
    var id: Int

    @Argument(help: "The directory tasks run in (unless a task names its own cwd).")
    var directory: String

    @OptionGroup var queueOptions: QueueOptions
    @OptionGroup var agentOptions: AgentOptions

    @Option(help: ArgumentHelp("Seconds a task may run when it sets no timeout (default: no limit).", valueName: "seconds"))
    var timeout: Double?

    @Option(help: ArgumentHelp("Seconds between SIGTERM and SIGKILL when a task is ended.", valueName: "seconds"))
    var grace: Double = 5

    @Option(name: .customLong("parent-pid"), help: .hidden)
    var parentPid: Int32?

    func validate() throws {
        guard id >= 0 else { throw ValidationError("the worker id must be 0 or more, got \(id)") }
        guard Path.isDirectory(directory) else {
            throw ValidationError("the directory '\(directory)' does not exist")
        }
        if let timeout, timeout <= 0 { throw ValidationError("--timeout must be greater than 0") }
    }

    func run() throws {
        var configuration = WorkerConfiguration(
            id: id, directory: Path.absolute(directory),
            queue: queueOptions.root, agent: try agentOptions.resolve())
        configuration.defaultTimeout = timeout
        configuration.grace = grace
        configuration.parentPid = parentPid
        try WorkerEntry.serve(configuration) { printError($0) }
    }
}
