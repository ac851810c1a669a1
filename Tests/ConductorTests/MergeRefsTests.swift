import Conductor
import Foundation
import Testing
import TestSupport

/// A task commit no branch holds any more: `merge` takes it task by task from the results, and a
/// whole-branch merge says it could not take it.
@Suite(.timeLimit(.minutes(3))) struct MergeRefsTests {
    @Test func mergeTakesTaskCommitsKeptOnlyByRefsAndAWholeBranchMergeNamesThem() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let file = try fixture.tasksFile(#"{"tasks": [{"id": "one", "command": "echo one > one.txt"}, {"id": "two", "command": "git reset -q --hard HEAD~1; echo two > two.txt"}]}"#)
        _ = try fixture.conductor(["batch", "--worktrees", "--sequential", "-d", fixture.store, "-n", "m", file], in: app)
        let tasks = try fixture.conductor(["merge", "m", "-d", fixture.store], in: app)
        #expect(tasks.status == 0, "\(tasks.stderr)")
        #expect(tasks.stdout.contains("taken: one\n"), "\(tasks.stdout)")
        #expect(try fixture.git(app, ["ls-tree", "--name-only", "conductor/m/merged"]).contains("one.txt"))
        let merge = try fixture.conductor(["merge", "m", "-d", fixture.store, "--worker", "w0"], in: app)
        #expect(merge.status == 0, "\(merge.stderr)")
        #expect(merge.stdout.contains("not merged: 1 task commit(s) that no worker branch holds any more, kept by refs/conductor/m/w0/"), "\(merge.stdout)")
        let json = try fixture.conductor(["merge", "m", "-d", fixture.store, "--worker", "0", "--json"], in: app)
        #expect(json.stdout.contains("\"keptOnlyByRefs\""), "\(json.stdout)")
    }
}
