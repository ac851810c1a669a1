import Conductor
import Foundation
import Testing
import TestSupport
import Queue

/// A process a task started outside its process group (`setsid`) is ended with the task's
/// attempt when its worker dies, so it cannot overlap the retry.
@Suite(.timeLimit(.minutes(3))) struct StrayProcessTests {
    @Test func aSetsidChildOfADeadAttemptDoesNotOutliveIt() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let runs = fixture.directory.appending("runs.log")
        let firstChild = fixture.directory.appending("first-child.pid")
        // The first attempt's detached child would sleep a minute; the retry's sleeps 1 s and must
        // run to its end. Whether the first is ended is read from its pid, not from the clock.
        let command = "echo start >> \(runs); setsid sh -c '[ $CONDUCTOR_ATTEMPT = 1 ] && echo $$ > \(firstChild); sleep $((CONDUCTOR_ATTEMPT == 1 ? 60 : 1)); echo late >> \(runs)' & sleep 5; echo end >> \(runs)"
        let file = try fixture.tasksFile(#"{"tasks": [{"id": "a", "command": "\#(command)"}]}"#)
        let batch = try BackgroundProcess([Binaries.conductor, "batch", "--worktrees", "-w", "1", "-d", fixture.store, "-n", "s", file],
                                          directory: app, environment: fixture.environment)
        let queue = QueueRoot(path: "\(fixture.store)/s/queue")
        #expect(waitUntil { (try? String(contentsOfFile: firstChild, encoding: .utf8))?.hasSuffix("\n") == true })
        let pid = try #require(Int32(String(contentsOfFile: firstChild, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        if case .held(let owner) = SlotLock.probe(queue.slot(0)) { kill(owner.pid, SIGKILL) }
        #expect(batch.waitForExit(timeout: 60) == 0, "\(batch.output.suffix(1000))")
        let ended = waitUntil(timeout: 30) { !Self.isRunning(pid) }
        if !ended { kill(pid, SIGKILL) }
        #expect(ended, "the first attempt's detached child (pid \(pid)) outlived its attempt")
        #expect(waitUntil(timeout: 30) { (try? String(contentsOfFile: runs, encoding: .utf8))?.contains("late") == true },
                "the retry's detached child ran to its end")
        let lines = try String(contentsOfFile: runs, encoding: .utf8).split(separator: "\n")
        #expect(lines.filter { $0 == "start" }.count == 2, "\(lines)")
    }

    /// True while `pid` runs: it exists and is no zombie (an orphan waits for whoever reaps it).
    private static func isRunning(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }
}
