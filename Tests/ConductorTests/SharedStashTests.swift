import Conductor
import Foundation
import Testing
import TestSupport

/// The stash belongs to the repository, not the worktree: a task that changes it is told so.
@Suite(.timeLimit(.minutes(3))) struct SharedStashTests {
    @Test func aTaskThatChangesTheSharedStashIsWarned() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let file = try fixture.tasksFile(#"{"tasks": [{"id": "s", "command": "echo stashed >> README.md; git stash -q"}, {"id": "t", "command": "echo t > t.txt"}]}"#)
        let result = try fixture.conductor(["batch", "--worktrees", "--sequential", "-d", fixture.store, "-n", "st", file], in: app)
        #expect(result.status == 0, "\(result.stderr)")
        let records = try BatchRun.finalResults(journal: "\(fixture.store)/st/journal.jsonl")
        #expect(records["s"]?.result.warnings?.contains { $0.contains("changed git's stash") } == true, "\(records["s"]?.result.warnings ?? [])")
        #expect(records["t"]?.result.warnings == nil, "a task that leaves the stash alone is not warned")
    }
}
