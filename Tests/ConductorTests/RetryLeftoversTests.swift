import Conductor
import Foundation
import Testing
import TestSupport

/// A retry after its worker died mid-task starts on the dead attempt's uncommitted changes; the
/// result and the report say so, so the task's commit is not taken for one attempt's work.
@Suite(.timeLimit(.minutes(3))) struct RetryLeftoversTests {
    @Test func aRetryOnTopOfADeadAttemptsChangesIsRecorded() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let runs = fixture.directory.appending("runs.log")
        let command = "echo run >> \(runs); echo line >> counter.txt; [ $(wc -l < \(runs)) -lt 2 ] && kill -9 $PPID; true"
        let file = try fixture.tasksFile(#"{"tasks": [{"id": "a", "command": "\#(command)"}]}"#)
        let result = try fixture.conductor(["batch", "--worktrees", "-w", "1", "-d", fixture.store, "-n", "l", "--json", file], in: app)
        #expect(result.status == 0, "\(result.stderr)")
        let record = try #require(try BatchRun.finalResults(journal: "\(fixture.store)/l/journal.jsonl")["a"])
        #expect(record.result.attempts == 2)
        let warning = record.result.warnings?.first { $0.contains("started on top of") }
        #expect(warning?.contains("counter.txt") == true, "\(record.result.warnings ?? [])")
        #expect(result.stdout.contains("started on top of"), "the report carries the warning too")
    }
}
