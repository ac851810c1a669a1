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
        // The first attempt's detached child waits 10 s, so a slow machine still ends it in time;
        // the retry's waits 1 s and must run to its end.
        let command = "echo start >> \(runs); setsid sh -c 'sleep $((CONDUCTOR_ATTEMPT == 1 ? 10 : 1)); echo late >> \(runs)' & sleep 5; echo end >> \(runs)"
        let file = try fixture.tasksFile(#"{"tasks": [{"id": "a", "command": "\#(command)"}]}"#)
        let batch = try BackgroundProcess([Binaries.conductor, "batch", "--worktrees", "-w", "1", "-d", fixture.store, "-n", "s", file],
                                          directory: app, environment: fixture.environment)
        let queue = QueueRoot(path: "\(fixture.store)/s/queue")
        #expect(waitUntil { (try? String(contentsOfFile: runs, encoding: .utf8))?.contains("start") == true })
        if case .held(let owner) = SlotLock.probe(queue.slot(0)) { kill(owner.pid, SIGKILL) }
        #expect(batch.waitForExit(timeout: 60) == 0, "\(batch.output.suffix(1000))")
        sleep(6) // past the first attempt's child's 10 s, counted from its start (the retry alone took 5 s)
        let lines = try String(contentsOfFile: runs, encoding: .utf8).split(separator: "\n")
        #expect(lines.filter { $0 == "start" }.count == 2, "\(lines)")
        #expect(lines.filter { $0 == "late" }.count == 1, "only the retry's detached child ran to its end: \(lines)")
    }
}
