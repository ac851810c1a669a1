import ArgumentParser
import Conductor
import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

struct StopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop a launched session: its workers (running tasks recorded cancelled), then its tmux session.",
        discussion: """
        Only sessions `conductor launch` made are stopped: launch marks its tmux sessions with the \
        directory of their record, so -d is needed only when the tmux session is already gone. \
        Worktrees and branches stay: see them with `conductor report NAME`, remove them with \
        `conductor prune NAME`, or launch the session again with `conductor launch -n NAME`.

        Examples:
          conductor stop                  # the session called conductor
          conductor stop -n review
        """
    )

    @Option(name: [.short, .long], help: "The session name.", completion: .batchNames)
    var name = "conductor"

    @OptionGroup var storeOptions: StoreOptions

    @Flag(help: "Print {\"name\", \"directory\", \"workers\", \"endedTmuxSession\"} as JSON.")
    var json = false

    func run() throws {
        let outcome = try SessionStopper.stop(name: name, store: storeOptions.store, tmux: try Tmux()) { printError($0) }
        if json { return try printJSON(outcome) }
        let what = outcome.endedTmuxSession ? "stopped session '\(name)'" : "session '\(name)' had no tmux session; stopped its left-over workers"
        print("\(what) (\(outcome.workers.count) worker(s)); worktrees and branches stay for conductor report \(name) and conductor prune \(name)")
    }
}
