import ArgumentParser
import Conductor
import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

struct LaunchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "launch",
        abstract: "Start a tmux session: an orchestrator pane and N worker panes.",
        discussion: """
        The orchestrator pane is a shell in the repository with CONDUCTOR_HOME set to the session's queue \
        (<dir>/<name>/queue), so `conductor submit`, `conductor status`, or Claude Code told to use them, \
        reach the workers. Each worker pane runs `conductor worker <n> <dir>`. With --worktrees worker n \
        works in <dir>/<name>/<repo>/w<n> on branch conductor/<name>/w<n>, as a batch called <name> \
        would, so `conductor report <name>` and `conductor prune <name>` work on the session too.

        Examples:
          conductor launch --workers 3 --worktrees
          conductor launch -n review --no-attach --repo ~/src/app
          conductor stop -n review
        """
    )

    @Option(name: [.short, .long], help: "How many worker panes.")
    var workers = 3

    @Option(name: [.short, .long], help: "The tmux session name (also the branch and directory name).")
    var name = "conductor"

    @Flag(help: "Give every worker its own git worktree and branch.")
    var worktrees = false

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: ArgumentHelp("The repository (default: the current directory's).", valueName: "path"))
    var repo: String?

    @Flag(name: .customLong("no-attach"), help: "Leave the session detached.")
    var noAttach = false

    @OptionGroup var agentOptions: AgentOptions

    @Flag(help: "Print {\"name\", \"directory\", \"queue\", \"workers\", \"worktrees\"} as JSON (and do not attach).")
    var json = false

    func validate() throws {
        guard (1...32).contains(workers) else { throw ValidationError("--workers must be 1 to 32, got \(workers)") }
    }

    func run() throws {
        _ = try agentOptions.resolve()
        var options = SessionLauncher.Options(
            store: storeOptions.store, repository: repo ?? FileManager.default.currentDirectoryPath,
            executable: WorkerLaunch.runningProgram)
        options.name = name
        options.workers = workers
        options.worktrees = worktrees
        options.agent = agentOptions.choice()
        let tmux = try Tmux()
        let record = try SessionLauncher(options: options, tmux: tmux).launch()
        if json {
            return try printJSON(LaunchJSON(name: name, directory: record.directory, queue: record.queue.path, workers: workers,
                                            worktrees: record.worktrees ? (0..<workers).map { record.worktreePath(record.repos[0], worker: $0) } : []))
        }
        print("launched tmux session '\(name)': \(workers) worker(s), queue \(record.queue.path)")
        if worktrees { print("worktrees: \(record.repos[0].name)/w0…w\(workers - 1) in \(record.directory), branches conductor/\(name)/w<n>") }
        print("start Claude Code with the workers as MCP tools: \(MCPConfig.claudeCommand(for: record))")
        print("stop it with: conductor stop -n \(name)")
        guard !noAttach, isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            print("attach with: tmux attach -t \(name)")
            return
        }
        if ProcessInfo.processInfo.environment["TMUX"] != nil {
            try tmux.run(["switch-client", "-t", "=\(name)"])
        } else {
            let arguments = [tmux.executable, "attach-session", "-t", "=\(name)"]
            let argv = arguments.map { strdup($0) } + [nil]
            execv(tmux.executable, argv)
            throw SessionError.tmuxFailed("attach-session", String(cString: strerror(errno)))
        }
    }
}

/// What `conductor launch --json` prints.
struct LaunchJSON: Encodable {
    let name: String
    let directory: String
    let queue: String
    let workers: Int
    /// The workers' worktrees, by worker number (empty without --worktrees).
    let worktrees: [String]
}
