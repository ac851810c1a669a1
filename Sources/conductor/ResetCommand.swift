import ArgumentParser
import Conductor
import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

struct ResetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset",
        abstract: "Stop the queue's workers (by the pids in their locks) and clear every slot.",
        discussion: "Refuses while an orchestrator is running on the queue, unless --force."
    )

    @OptionGroup var queueOptions: QueueOptions

    @Flag(help: "Reset even while an orchestrator is running.")
    var force = false

    func run() throws {
        let root = queueOptions.root
        let stopped = try QueueReset.reset(root, force: force) { printError($0) }
        print("reset \(root.path): stopped \(stopped.count) worker(s), cleared the slots")
    }
}
