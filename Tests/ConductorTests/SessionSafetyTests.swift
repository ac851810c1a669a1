import Conductor
import Foundation
import Testing
import TestSupport

/// Tasks submitted to a launched worktree session keep a batch's rules: they run inside their
/// worker's worktree and are committed only there.
@Suite(.serialized, .timeLimit(.minutes(3))) struct SessionSafetyTests {
    @Test func aSubmittedTaskWhoseCwdLeavesItsWorktreeDoesNotRunAndCommitsNothing() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let environment = fixture.tmuxEnvironment
        defer { _ = try? run(["tmux", "kill-server"], environment: environment) }
        let conductor = { (arguments: [String]) in try run([Binaries.conductor] + arguments, in: app, environment: environment) }
        let launch = try conductor(["launch", "-w", "1", "--worktrees", "-n", "s1", "-d", fixture.store, "--no-attach"])
        #expect(launch.status == 0, "\(launch.stderr)")
        #expect(waitUntil { QueueSnapshot.read(QueueRoot(path: "\(fixture.store)/s1/queue")).workers.contains(where: \.alive) })
        try "user's own edit\n".write(toFile: app + "/README.md", atomically: true, encoding: .utf8)
        let mainBefore = try fixture.git(app, ["rev-parse", "main"])

        let tasks = try fixture.tasksFile(#"[{"id": "out", "command": "echo escaped > escaped.txt", "cwd": "\#(app)"}]"#, name: "out.json")
        let submit = try conductor(["submit", "-n", "s1", "-d", fixture.store, "--wait", "--json", tasks])
        #expect(submit.status == 1, "\(submit.stdout)\(submit.stderr)")
        let result = try #require(try QueueFixture.report(submit.stdout).results.first)
        #expect(result.result.status == .error)
        #expect(result.result.error?.contains("field \"cwd\"") == true, "\(result.result.error ?? "")")
        #expect(!FileManager.default.fileExists(atPath: app + "/escaped.txt"), "it did not run in the user's checkout")
        #expect(try fixture.git(app, ["rev-parse", "main"]) == mainBefore, "nothing was committed onto main")
        #expect(try fixture.git(app, ["status", "--porcelain"]).contains("README.md"), "the user's edit is still uncommitted")

        let inside = try conductor(["submit", "-n", "s1", "-d", fixture.store, "--wait", "--json", "--command", "echo in > in.txt", "--id", "in"])
        #expect(inside.status == 0, "\(inside.stderr)")
        #expect(try fixture.git(app, ["log", "-1", "--format=%(trailers:key=Conductor-Task,valueonly)", "conductor/s1/w0"])
            .trimmingCharacters(in: .whitespacesAndNewlines) == "in")
        // A new submission that reuses an id is a new task: it runs (its earlier commit is not reused).
        for line in ["first", "second"] {
            let again = try conductor(["submit", "-n", "s1", "-d", fixture.store, "--wait", "--command", "echo \(line) >> dup.txt", "--id", "dup"])
            #expect(again.status == 0, "\(again.stderr)")
        }
        #expect(try fixture.git(app, ["show", "conductor/s1/w0:dup.txt"]) == "first\nsecond\n", "both submissions ran")
        _ = try conductor(["stop", "-n", "s1"])
    }
}
