import Conductor
import Foundation
import Testing
import TestSupport

/// A failed `setup` command's reason says what it printed, not only its exit code.
@Suite(.timeLimit(.minutes(3))) struct SetupReasonTests {
    @Test func aFailedSetupSaysWhy() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let file = try fixture.tasksFile(#"{"setup": "echo npm ERR! missing thing >&2; exit 9", "tasks": [{"id": "a", "command": "true"}]}"#)
        let result = try fixture.conductor(["batch", "--worktrees", "-w", "1", "-d", fixture.store, "-n", "s", file], in: app)
        #expect(result.status == 1)
        let record = try #require(try BatchRun.finalResults(journal: "\(fixture.store)/s/journal.jsonl")["a"])
        #expect(record.result.error?.contains("(exit 9): npm ERR! missing thing") == true, "\(record.result.error ?? "")")
    }

    /// A setup whose logs cannot be made (here it makes its worker's logs directory immutable
    /// itself) succeeds, and its output is not lost without a word: the task warns, and `conductor
    /// show` prints the warning.
    @Test(.enabled(if: ImmutableDirectory.isAvailable, "making a directory immutable needs root"))
    func aSetupWhoseOutputWasNotKeptSaysSo() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let logs = "\(fixture.store)/sk/queue/workers/0/logs"
        defer { _ = try? run(["chattr", "-i", logs], timeout: 30) }
        let file = try fixture.tasksFile(#"{"setup": "chattr +i \#(logs) && echo installed", "tasks": [{"id": "a", "command": "true"}]}"#)

        let batch = try fixture.conductor(["batch", "--worktrees", "-w", "1", "-d", fixture.store, "-n", "sk", file], in: app)
        let show = try fixture.conductor(["show", "a", "-n", "sk", "-d", fixture.store], in: app)

        _ = try run(["chattr", "-i", logs], timeout: 30)
        #expect(batch.status == 0, "\(batch.stdout)\n\(batch.stderr)")
        let record = try #require(try BatchRun.finalResults(journal: "\(fixture.store)/sk/journal.jsonl")["a"])
        let warning = "the setup command's output was not kept: cannot open the task log \(logs)/"
        #expect(record.result.warnings?.contains { $0.hasPrefix(warning) } == true, "\(record.result.warnings ?? [])")
        #expect(show.stdout.contains("warning: " + warning), "\(show.stdout)")
    }
}
