import Conductor
import Foundation
import Synchronization
import Testing
import TestSupport

/// Ctrl-C on a batch: one "interrupted" line however many signals arrive, and the status line,
/// the table and the summary all call the stopped tasks cancelled, never failed.
@Suite(.serialized, .timeLimit(.minutes(5))) struct InterruptMessageTests {
    /// Runs a command on a pseudo-terminal, presses Ctrl-C twice once `trigger` exists, and
    /// prints everything the terminal showed; exits with the command's exit status.
    private static let terminalDriver = """
    import os, pty, select, sys, time
    trigger, command = sys.argv[1], sys.argv[2:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(command[0], command)
    output, pressed = b"", False
    while True:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            output += data
        if not pressed and os.path.exists(trigger):
            os.write(fd, b"\\x03")
            time.sleep(0.3)
            os.write(fd, b"\\x03")
            pressed = True
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(output.decode("utf-8", "replace"))
    sys.exit(os.waitstatus_to_exitcode(status))
    """

    @Test func ctrlCTwiceOnATerminalSaysInterruptedOnceAndCountsCancelled() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let started = (1...2).map { fixture.directory.appending("started\($0)") }
        let file = try fixture.tasksFile("""
        {"tasks": [
          {"id": "first", "command": "echo 1 > first.txt"},
          {"id": "long1", "command": "touch \(started[0]); sleep 61.5"},
          {"id": "long2", "command": "touch \(started[1]); sleep 61.5"},
          {"id": "never", "command": "echo never > never.txt"}
        ]}
        """)
        let trigger = fixture.directory.appending("trigger")
        let driver = fixture.directory.appending("terminal.py")
        try Self.terminalDriver.write(toFile: driver, atomically: true, encoding: .utf8)
        // The trigger appears once both long tasks run.
        let watcher = try BackgroundProcess(
            ["sh", "-c", "while ! test -f \(started[0]) || ! test -f \(started[1]); do sleep 0.05; done; touch \(trigger)"])
        defer { watcher.stop() }
        let run = try TestSupport.run(
            ["python3", driver, trigger, Binaries.conductor, "batch", "--worktrees", "-w", "2", "-d", fixture.store, "--name", "i1", file],
            in: app, environment: fixture.environment, timeout: 120)
        #expect(run.status == 130, "\(run.stdout)")
        // A terminal ends lines with \r\n, one Character in Swift.
        let lines = run.stdout.split(whereSeparator: \.isNewline)
        #expect(lines.filter { $0.contains("interrupted") }.count == 1, "\(run.stdout)")
        // The last status line drawn, the summary and the table agree.
        let statusLines = run.stdout.components(separatedBy: "\u{1B}[2K").filter { $0.hasPrefix("[") }
        let lastStatus = try #require(statusLines.last)
        #expect(lastStatus.contains("0 failed") && lastStatus.contains("3 cancelled"), "\(lastStatus)")
        #expect(lines.contains { $0.hasPrefix("1/4 succeeded, 3 cancelled") }, "\(run.stdout)")
        #expect(!lines.contains { $0.contains(" failed,") && $0.contains("succeeded") }, "\(run.stdout)")
        let results = try MergeReport.readResults("\(fixture.store)/i1/results.jsonl")
        #expect(results.filter { $0.result.status == .cancelled }.map(\.task.id).sorted() == ["long1", "long2", "never"])
        #expect(try TestSupport.run(["pgrep", "-f", "sleep 61.5"]).stdout.isEmpty, "no task outlives the interrupt")
    }

    /// Ctrl-C on a terminal signals the workers too: one may stop before it reports the task it was
    /// just given. After the interrupt that task is cancelled (resume runs it), not failed.
    @Test func aWorkerLostAfterAnInterruptLeavesItsTaskCancelled() throws {
        let fixture = try QueueFixture()
        let worker = try fixture.startWorker(0)
        let orchestrator = try Orchestrator(workers: 1, queue: fixture.root)
        let results = Results()
        let thread = Thread { results.set(try? orchestrator.executeTasks([.command("sleep 61.75", id: "long")])) }
        thread.start()
        #expect(waitUntil { (try? fixture.root.slot(0).readStatus())?.status == .working })
        orchestrator.cancel()
        kill(worker.pid, SIGKILL)
        #expect(waitUntil(timeout: 30) { results.value != nil })
        let outcome = try #require(results.value?.first?.result)
        #expect(outcome.status == .cancelled, "\(outcome)")
        #expect(try TestSupport.run(["pgrep", "-f", "sleep 61.75"]).stdout.isEmpty)
    }
}

/// A run's results handed over from another thread.
private final class Results: Sendable {
    private let stored = Mutex<[TaskResult]?>(nil)

    func set(_ results: [TaskResult]?) { stored.withLock { $0 = results } }
    var value: [TaskResult]? { stored.withLock { $0 } }
}
