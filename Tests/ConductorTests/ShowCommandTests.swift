import Conductor
import Foundation
import Testing
import TestSupport

/// `conductor show TASK`: what a task was asked, how it ended, its answer and its patch, plain
/// in a pipe and colored through the pager on a terminal.
@Suite(.serialized, .timeLimit(.minutes(5))) struct ShowCommandTests {
    /// A sequential batch `s1` in one worktree: a review that changes nothing, an edit, a chmod.
    private func batch() throws -> BatchFixture {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let file = try fixture.tasksFile(#"""
        {"tasks": [
          {"id": "review", "prompt": "Review src/auth.py and say what is wrong"},
          {"id": "edit", "prompt": "[[write src/math.py def add(a, b):\\n    return b + a]]"},
          {"id": "chmod", "command": "chmod +x src/math.py"}
        ]}
        """#)
        let run = try fixture.conductor(["batch", "--worktrees", "--sequential", "-d", fixture.store, "--name", "s1", file], in: app)
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        return fixture
    }

    private func show(_ fixture: BatchFixture, _ arguments: [String]) throws -> RunResult {
        try fixture.conductor(["show"] + arguments + ["-n", "s1", "-d", fixture.store])
    }

    @Test func aReviewTaskShowsItsPromptStatusAndAnswer() throws {
        let fixture = try batch()
        let shown = try show(fixture, ["review"])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("Review src/auth.py and say what is wrong"), "\(shown.stdout)")
        #expect(shown.stdout.contains("fake-claude read: Review src/auth.py"), "\(shown.stdout)")
        #expect(shown.stdout.contains("done") && shown.stdout.contains("w0"), "\(shown.stdout)")
        #expect(shown.stdout.contains("no changes"), "\(shown.stdout)")
        #expect(!shown.stdout.contains("diff --git"))
    }

    @Test func anEditShowsItsPatchAndItsLogs() throws {
        let fixture = try batch()
        let shown = try show(fixture, ["edit"])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("diff --git a/src/math.py b/src/math.py\n"), "\(shown.stdout)")
        #expect(shown.stdout.contains("\n-    return a + b\n+    return b + a\n"), "\(shown.stdout)")
        #expect(!shown.stdout.contains("old mode"), "the chmod is another task's:\n\(shown.stdout)")
        #expect(shown.stdout.contains("fake-claude did: wrote src/math.py"))
        #expect(shown.stdout.contains(".stdout"), "no log path:\n\(shown.stdout)")
        #expect(!shown.stdout.contains("\u{1B}["), "colored in a pipe:\n\(shown.stdout)")
    }

    @Test func aChmodShowsAsAModeChange() throws {
        let fixture = try batch()
        let shown = try show(fixture, ["chmod"])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("diff --git a/src/math.py b/src/math.py\nold mode 100644\nnew mode 100755\n"), "\(shown.stdout)")
        let stat = try show(fixture, ["chmod", "--stat"])
        #expect(stat.stdout.contains("mode change 100644 => 100755"), "\(stat.stdout)")
        #expect(!stat.stdout.contains("+0"), "\(stat.stdout)")
    }

    @Test func statListsTheFilesWithTheirCountsInsteadOfThePatch() throws {
        let fixture = try batch()
        let shown = try show(fixture, ["edit", "--stat"])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(!shown.stdout.contains("diff --git"), "\(shown.stdout)")
        let line = try #require(shown.stdout.split(separator: "\n").first { $0.hasPrefix("M ") && $0.contains("src/math.py") }, "\(shown.stdout)")
        #expect(line.contains("+1 -1"), "\(line)")
        #expect(shown.stdout.contains("1 file changed, 1 insertion(+), 1 deletion(-)"), "\(shown.stdout)")
    }

    @Test func jsonIsTheTaskEntryWithPromptLogsAndPatch() throws {
        let fixture = try batch()
        let shown = try show(fixture, ["edit", "--json"])
        #expect(shown.status == 0, "\(shown.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any], "\(shown.stdout)")
        #expect(json["id"] as? String == "edit")
        #expect(json["batch"] as? String == "s1")
        #expect(json["status"] as? String == "done")
        #expect((json["prompt"] as? String)?.hasPrefix("[[write src/math.py") == true)
        #expect((json["answer"] as? String)?.contains("wrote src/math.py") == true)
        #expect((json["patch"] as? String)?.contains("+    return b + a\n") == true, "\(json)")
        #expect((json["files"] as? [[String: Any]])?.first?["path"] as? String == "src/math.py")
        #expect((json["stdoutLog"] as? String).map { FileManager.default.fileExists(atPath: $0) } == true, "\(json)")
        #expect(json["branch"] as? String == "conductor/s1/w0")
    }

    @Test func anUnknownTaskNamesTheBatchAndTheTasksItHas() throws {
        let fixture = try batch()
        let shown = try show(fixture, ["nope"])
        #expect(shown.status == 2)
        #expect(shown.stderr.contains("nope") && shown.stderr.contains("s1"), "\(shown.stderr)")
        #expect(shown.stderr.contains("review") && shown.stderr.contains("edit"), "\(shown.stderr)")
    }

    @Test func onATerminalThePatchIsColoredAndGoesThroughThePager() throws {
        let fixture = try batch()
        let command = [Binaries.conductor, "show", "edit", "-n", "s1", "-d", fixture.store].map { "'\($0)'" }.joined(separator: " ")
        var environment = fixture.environment
        environment["PAGER"] = "sed s/^/PAGED:/"
        environment["NO_COLOR"] = ""
        let terminal = try run(["script", "-qec", command, "/dev/null"], in: fixture.directory.path, environment: environment)
        #expect(terminal.status == 0, "\(terminal.stderr)")
        #expect(terminal.stdout.contains("PAGED:\u{1B}[32m+    return b + a\u{1B}[m"), "\(terminal.stdout.debugDescription)")
        #expect(terminal.stdout.contains("PAGED:\u{1B}[31m-    return a + b\u{1B}[m"))
        #expect(terminal.stdout.contains("PAGED:\u{1B}[1mdiff --git a/src/math.py b/src/math.py\u{1B}[m"))
        #expect(terminal.stdout.contains("PAGED:\u{1B}[36m@@ -1,2 +1,2 @@\u{1B}[m"))

        let plain = try run(["script", "-qec", command + " --no-color", "/dev/null"], in: fixture.directory.path, environment: environment)
        #expect(plain.stdout.contains("PAGED:+    return b + a"), "\(plain.stdout.debugDescription)")
        #expect(!plain.stdout.contains("\u{1B}["))

        environment["NO_COLOR"] = "1"
        let noColor = try run(["script", "-qec", command, "/dev/null"], in: fixture.directory.path, environment: environment)
        #expect(noColor.stdout.contains("PAGED:+    return b + a") && !noColor.stdout.contains("\u{1B}["), "\(noColor.stdout.debugDescription)")

        let piped = try fixture.conductor(["show", "edit", "-n", "s1", "-d", fixture.store])
        #expect(!piped.stdout.contains("PAGED:"), "the pager ran in a pipe")
    }
}
