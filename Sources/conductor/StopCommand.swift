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
        discussion: "Worktrees and branches stay: see them with `conductor report NAME`, remove them with `conductor prune NAME`."
    )

    @Option(name: [.short, .long], help: "The session name.")
    var name = "conductor"

    @OptionGroup var storeOptions: StoreOptions

    func run() throws {
        let stopped = try SessionStopper.stop(name: name, store: storeOptions.store, tmux: try Tmux()) { printError($0) }
        print("stopped session '\(name)' (\(stopped.count) worker(s)); worktrees and branches stay for conductor report \(name) and conductor prune \(name)")
    }
}
