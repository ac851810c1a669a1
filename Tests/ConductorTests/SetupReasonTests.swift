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
}
