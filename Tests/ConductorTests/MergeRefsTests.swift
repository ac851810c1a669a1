import Conductor
import Foundation
import Testing
import TestSupport

/// `merge` says which task commits it could not take because no branch holds them any more.
@Suite(.timeLimit(.minutes(2))) struct MergeRefsTests {
    @Test func mergeNamesTaskCommitsKeptOnlyByRefs() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let file = try fixture.tasksFile(#"{"tasks": [{"id": "one", "command": "echo one > one.txt"}, {"id": "two", "command": "git reset -q --hard HEAD~1; echo two > two.txt"}]}"#)
        _ = try fixture.conductor(["batch", "--worktrees", "--sequential", "-d", fixture.store, "-n", "m", file], in: app)
        let merge = try fixture.conductor(["merge", "m", "-d", fixture.store], in: app)
        #expect(merge.status == 0, "\(merge.stderr)")
        #expect(merge.stdout.contains("not merged: 1 task commit(s) that no worker branch holds any more, kept by refs/conductor/m/w0/"), "\(merge.stdout)")
        let json = try fixture.conductor(["merge", "m", "-d", fixture.store, "--json"], in: app)
        #expect(json.stdout.contains("\"keptOnlyByRefs\""), "\(json.stdout)")
    }
}
