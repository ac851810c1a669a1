import Conductor
import Foundation
import Testing
import TestSupport

/// `report.json` and `report.md` list every task: its answer, status, commits and the files its
/// own commits changed, review tasks that changed nothing and tasks that never ran included.
@Suite(.serialized, .timeLimit(.minutes(5))) struct TaskReportTests {
    /// A sequential batch in one worktree: a review (no changes), an edit, a chmod, odd file names,
    /// a long output, a failure that stops the run, and a task skipped after it.
    static func runMixedBatch(_ fixture: BatchFixture, name: String) throws -> String {
        let app = try fixture.makeRepository("app")
        let file = try fixture.tasksFile(#"""
        {"tasks": [
          {"id": "review", "prompt": "Review src/auth.py: ```` ## is it *safe*?"},
          {"id": "edit", "prompt": "[[write src/math.py def add(a, b):\\n    return b + a]]"},
          {"id": "chmod", "command": "chmod +x src/math.py"},
          {"id": "odd", "command": "printf x > \"$(printf 'new\\nline.txt')\" && printf y > \"$(printf 'tab\\there.txt')\" && printf z > ./-dash.txt"},
          {"id": "long", "command": "seq 1 50"},
          {"id": "fail", "command": "echo broken; exit 3", "stopOnError": true},
          {"id": "after", "command": "echo never"}
        ]}
        """#)
        let batch = try fixture.conductor(["batch", "--worktrees", "--sequential", "-d", fixture.store, "--name", name, file], in: app)
        #expect(batch.status == 1, "\(batch.stdout)\n\(batch.stderr)")
        return app
    }

    @Test func reportJSONListsEveryTaskInOrderWithItsAnswerCommitsAndFiles() throws {
        let fixture = try BatchFixture()
        try Self.runMixedBatch(fixture, name: "tj")
        let report = try fixture.conductor(["report", "tj", "-d", fixture.store, "--json"])
        #expect(report.status == 0, "\(report.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        let tasks = try #require(json["tasks"] as? [[String: Any]], "\(report.stdout)")
        #expect(tasks.compactMap { $0["id"] as? String } == ["review", "edit", "chmod", "odd", "long", "fail", "after"])
        let byID = Dictionary(uniqueKeysWithValues: tasks.map { ($0["id"] as? String ?? "", $0) })

        let review = try #require(byID["review"])
        #expect(review["status"] as? String == "done")
        #expect((review["answer"] as? String)?.contains("fake-claude read: Review src/auth.py") == true, "\(review)")
        #expect((review["commits"] as? [Any])?.isEmpty == true)
        #expect((review["files"] as? [Any])?.isEmpty == true)
        #expect(review["kind"] as? String == "prompt" && review["worker"] as? Int == 0 && review["attempts"] as? Int == 1)
        #expect(review["agent"] as? String != nil && review["costUsd"] as? Double == 0.0123)

        let edit = try #require(byID["edit"])
        #expect((edit["commits"] as? [String])?.count == 1)
        #expect(edit["repo"] as? String == "app")
        let editFiles = try #require(edit["files"] as? [[String: Any]])
        #expect(editFiles.count == 1)
        #expect(editFiles.first?["path"] as? String == "src/math.py" && editFiles.first?["status"] as? String == "M")
        #expect(editFiles.first?["insertions"] as? Int == 1 && editFiles.first?["deletions"] as? Int == 1)
        #expect(edit["insertions"] as? Int == 1 && edit["deletions"] as? Int == 1)

        let chmod = try #require((byID["chmod"]?["files"] as? [[String: Any]])?.first)
        #expect(chmod["oldMode"] as? String == "100644" && chmod["newMode"] as? String == "100755", "\(chmod)")
        #expect(byID["chmod"]?["agent"] == nil)

        let odd = try #require(byID["odd"]?["files"] as? [[String: Any]])
        #expect(odd.compactMap { $0["path"] as? String }.sorted() == ["-dash.txt", "new\nline.txt", "tab\there.txt"])
        #expect((byID["long"]?["answer"] as? String)?.hasSuffix("49\n50\n") == true)
        #expect(byID["fail"]?["status"] as? String == "error" && byID["fail"]?["reason"] as? String != nil)
        #expect(byID["after"]?["status"] as? String == "skipped")
        #expect((byID["after"]?["commits"] as? [Any])?.isEmpty == true)
    }

    @Test func reportMarkdownHasASectionPerTaskWithQuotedNamesModeChangesAndFencedAnswers() throws {
        let fixture = try BatchFixture()
        try Self.runMixedBatch(fixture, name: "tm")
        let markdown = try String(contentsOfFile: "\(fixture.store)/tm/report.md", encoding: .utf8)
        for id in ["review", "edit", "chmod", "odd", "long", "fail", "after"] {
            #expect(markdown.contains("### `\(id)`"), "no section for \(id):\n\(markdown)")
        }
        #expect(markdown.contains("`````\nfake-claude read: Review src/auth.py: ```` ## is it *safe*?\n`````"), "\(markdown)")

        let modeLines = markdown.split(separator: "\n").filter { $0.contains("`src/math.py`") && $0.contains("100644 → 100755") }
        #expect(!modeLines.isEmpty, "\(markdown)")
        #expect(modeLines.allSatisfy { !$0.contains("+0") }, "\(modeLines)")

        for quoted in [#"`"new\nline.txt"`"#, #"`"tab\there.txt"`"#, #"`"-dash.txt"`"#] {
            #expect(markdown.components(separatedBy: quoted).count - 1 >= 2, "\(quoted) not quoted in the task and branch lists:\n\(markdown)")
        }
        #expect(!markdown.contains("new\nline.txt") && !markdown.contains("tab\there.txt"))

        #expect(markdown.contains("\n20\n") && !markdown.contains("\n21\n"), "the long answer is not shortened:\n\(markdown)")
        #expect(markdown.contains("report.json"))
        #expect(markdown.contains("skipped"))
    }
}
