import ArgumentParser
import Conductor
import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each worker: state, task, what its agent is doing now, pid and whether it lives, time in state, last result.",
        discussion: """
        The same facts are on disk: cat <queue>/workers/0/status.json | jq .
        NOW is what a running prompt's agent is doing (its tool and target, turn, cost or tokens so
        far), read from its event stream: Claude Code, Codex and opencode print one.

        Examples:
          conductor status -n review   # a session's or batch's workers, from anywhere
          conductor status --watch     # redraws; into a pipe, one snapshot a second
        """
    )

    @OptionGroup var target: QueueTargetOptions

    @Flag(help: "Print the snapshot as JSON.")
    var json = false

    @Flag(help: "Redraw every second until interrupted.")
    var watch = false

    func run() throws {
        if let batch = try target.remoteBatch() { return try showRemote(batch) }
        let root = try target.root()
        guard FileManager.default.fileExists(atPath: root.path) else {
            throw InputError("there is no queue at \(root.path); name a batch or session (-n NAME), pass --queue DIR, or start a worker (conductor worker 0 DIR)")
        }
        let redraw = watch && !json && isatty(STDOUT_FILENO) == 1
        repeat {
            let snapshot = QueueSnapshot.read(root)
            if json {
                try printJSON(snapshot)
            } else {
                if redraw { print("\u{1B}[H\u{1B}[2J", terminator: "") }
                print(Self.render(snapshot))
            }
            if watch {
                fflush(nil)
                sleep(1)
            }
        } while watch
    }

    /// A batch on a shared queue: its tasks as the queue has them (the workers may be on other hosts).
    private func showRemote(_ batch: BatchRecord) throws {
        guard let remote = batch.remote, let queue = try target.sharedQueue else {
            throw InputError("batch \(batch.name) runs on the shared queue \(batch.remote?.queue ?? "?"): give its address with --queue (or $CONDUCTOR_QUEUE)")
        }
        try hidingPassword(of: queue) {
            repeat {
                let tasks = try RemoteTaskState.read(batch, queue: queue)
                if json {
                    try printJSON(tasks)
                } else {
                    if watch && isatty(STDOUT_FILENO) == 1 { print("\u{1B}[H\u{1B}[2J", terminator: "") }
                    let counts = Dictionary(grouping: tasks, by: \.state).mapValues(\.count)
                    print("queue: \(remote.queue), batch \(batch.name): " + ["queued", "claimed", "done", "failed", "skipped"].map { "\(counts[$0] ?? 0) \($0)" }.joined(separator: ", "))
                    print(ResultTable.table([["TASK", "STATE", "ATTEMPTS", "WORKER"]]
                        + tasks.map { [$0.task, $0.state, String($0.attempts), $0.worker ?? "-"] }))
                }
                if watch {
                    fflush(nil)
                    sleep(1)
                }
            } while watch
        }
    }

    static func render(_ snapshot: QueueSnapshot) -> String {
        var lines = ["queue: \(snapshot.queue)" + (snapshot.orchestratorPid.map { "  (orchestrator pid \($0) running)" } ?? "")]
        if let limit = snapshot.usageLimit {
            lines.append("waiting for the usage limit to reset at \(Format.clockTime(limit.until)): prompts wait, commands go on (\(limit.reason.prefix(100)))")
        }
        guard !snapshot.workers.isEmpty else { return (lines + ["no workers"]).joined(separator: "\n") }
        let rows = snapshot.workers.map { slot -> [String] in
            [
                String(slot.id),
                slot.status,
                slot.alive ? "alive" : "dead",
                slot.pid.map(String.init) ?? "-",
                slot.taskId ?? "-",
                slot.secondsInState.map { duration($0) } ?? "-",
                slot.lastResult.map { "\($0.taskId): \($0.status.rawValue)" } ?? "-",
                slot.activity.map { String(FailureReason.printable($0.described).prefix(70)) } ?? "-",
            ]
        }
        lines.append(ResultTable.table([["WORKER", "STATE", "PROCESS", "PID", "TASK", "FOR", "LAST RESULT", "NOW"]] + rows))
        return lines.joined(separator: "\n")
    }

    private static func duration(_ seconds: Double) -> String {
        seconds < 60 ? Format.fixed(seconds, 0) + "s" : seconds < 3600 ? Format.fixed(seconds / 60, 0) + "m" : Format.fixed(seconds / 3600, 1) + "h"
    }
}
