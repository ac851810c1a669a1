import ArgumentParser
import Conductor
import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
import Queue
#endif

struct ResetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset",
        abstract: "Stop the queue's workers (by the pids in their locks) and clear every slot.",
        discussion: "Refuses while an orchestrator is running on the queue, unless --force."
    )

    @OptionGroup var target: QueueTargetOptions

    func validate() throws {
        try target.queueOptions.requireDirectory(for: "reset")
    }

    @Flag(help: "Reset even while an orchestrator is running.")
    var force = false

    @Flag(help: "Print {\"queue\", \"stopped\"} as JSON.")
    var json = false

    func run() throws {
        let root = try target.root()
        let stopped = try QueueReset.reset(root, force: force) { printError($0) }
        if json { return try printJSON(ResetJSON(queue: root.path, stopped: stopped)) }
        print("reset \(root.path): stopped \(stopped.count) worker(s), cleared the slots")
    }
}

/// What `conductor reset --json` prints: the queue and the pids of the workers stopped.
struct ResetJSON: Encodable {
    let queue: String
    let stopped: [Int32]
}
