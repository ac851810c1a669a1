import Conductor
import Foundation
import Testing
import TestSupport

/// A worktree task that finished `done` but committed nothing is flagged "no changes" in the table
/// and the report, with a hint when what it wrote is ignored by `.gitignore` (and so lost at prune).
@Suite(.serialized, .timeLimit(.minutes(5))) struct NoChangesTests {
    @Test func doneTasksWithoutACommitAreFlaggedWithTheIgnoredFilesTheyWrote() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        try "site/\n*.o\n".write(toFile: "\(app)/.gitignore", atomically: true, encoding: .utf8)
        try fixture.git(app, ["commit", "-qam", "Ignore the built site"])
        let file = try fixture.tasksFile("""
        {"tasks": [
          {"id": "ignored", "command": "mkdir -p site && echo '<h1>docs</h1>' > site/index.html"},
          {"id": "idle", "command": "true"},
          {"id": "objects", "command": "mkdir -p obj && for i in $(seq 10 21); do echo $i > obj/f$i.o; done"},
          {"id": "real", "command": "echo real > real.txt"}
        ]}
        """)
        let batch = try fixture.conductor(["batch", "--worktrees", "-w", "1", "--sequential", "-d", fixture.store, "--name", "n1", file], in: app)
        #expect(batch.status == 0, "\(batch.stderr)")
        let rows = batch.stdout.split(separator: "\n")
        let ignoredRow = try #require(rows.first { $0.hasPrefix("ignored ") })
        #expect(ignoredRow.contains("no changes") && ignoredRow.contains("site/"), "\(batch.stdout)")
        let idleRow = try #require(rows.first { $0.hasPrefix("idle ") })
        #expect(idleRow.contains("no changes") && !idleRow.contains("ignore"), "\(batch.stdout)")
        // Ignored files in a directory that is not ignored itself are named one by one: ten, then how many more.
        let objectsRow = try #require(rows.first { $0.hasPrefix("objects ") })
        #expect(objectsRow.contains("obj/f10.o, ") && objectsRow.contains("obj/f19.o and 2 more)"), "\(batch.stdout)")
        let realRow = try #require(rows.first { $0.hasPrefix("real ") })
        #expect(!realRow.contains("no changes"), "\(batch.stdout)")

        let report = try fixture.conductor(["report", "n1", "-d", fixture.store, "--json"])
        #expect(report.status == 0, "\(report.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        let unchanged = try #require(json["unchangedTasks"] as? [[String: Any]], "\(report.stdout)")
        #expect(unchanged.compactMap { $0["task"] as? String }.sorted() == ["idle", "ignored", "objects"])
        #expect((unchanged.first { $0["task"] as? String == "objects" }?["ignoredPaths"] as? [String])?.count == 12)
        #expect(unchanged.first { $0["task"] as? String == "ignored" }?["ignoredPaths"] as? [String] == ["site/"])
        let markdown = try String(contentsOfFile: "\(fixture.store)/n1/report.md", encoding: .utf8)
        #expect(markdown.contains("no changes"), "\(markdown)")
        #expect(markdown.contains("`site/`") && markdown.contains(".gitignore"), "\(markdown)")
    }

    @Test func aBatchWithoutWorktreesFlagsNothing() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let file = try fixture.tasksFile(#"{"tasks": [{"id": "idle", "command": "true"}]}"#)
        let batch = try fixture.conductor(["batch", "-w", "1", "-d", fixture.store, "--name", "n2", file], in: app)
        #expect(batch.status == 0, "\(batch.stderr)")
        #expect(!batch.stdout.contains("no changes"), "\(batch.stdout)")
    }
}
