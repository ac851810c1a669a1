import Conductor
import Foundation
import Testing
import TestSupport

/// `conductor followup` continues a task in its worktree and agent session, as a new commit of it.
@Suite(.timeLimit(.minutes(3))) struct FollowupTests {
    @Test func aFollowupResumesTheSessionAndCommitsToTheTasksBranch() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let file = try fixture.tasksFile(#"{"tasks": [{"id": "auth", "prompt": "[[write notes.txt one]]"}, {"id": "cmd", "command": "echo c > c.txt"}]}"#)
        let batch = try fixture.conductor(["batch", "--worktrees", "--sequential", "-d", fixture.store, "-n", "f", file], in: app)
        #expect(batch.status == 0, "\(batch.stderr)")
        let before = try #require(try MergeReport.readResults("\(fixture.store)/f/results.jsonl").first { $0.task.id == "auth" })
        let session = try #require(before.result.agent?.sessionId)

        let followup = try fixture.conductor(["followup", "auth", "[[append notes.txt two]]", "-n", "f", "-d", fixture.store, "--json"], in: app)
        #expect(followup.status == 0, "\(followup.stderr)")
        let after = try #require(try MergeReport.readResults("\(fixture.store)/f/results.jsonl").first { $0.task.id == "auth" })
        #expect(after.result.agent?.sessionId == session, "the agent resumed its own session")
        #expect(after.result.commits?.count == 2, "the task's commits: the first and the follow-up's")
        #expect(try fixture.git(app, ["show", "conductor/f/w0:notes.txt"]) == "one\ntwo\n")
        let tasks = try fixture.git(app, ["log", "--format=%(trailers:key=Conductor-Task,valueonly)", "main..conductor/f/w0"])
            .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        #expect(tasks == ["auth", "cmd", "auth"], "the follow-up is a new commit of the same task on its branch")

        let command = try fixture.conductor(["followup", "cmd", "more", "-n", "f", "-d", fixture.store], in: app)
        #expect(command.status == 2)
        #expect(command.stderr.contains("no agent session to continue"), "\(command.stderr)")
        let unknown = try fixture.conductor(["followup", "nope", "more", "-n", "f", "-d", fixture.store], in: app)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no task 'nope'"), "\(unknown.stderr)")
    }
}

/// `conductor followup` of a Codex task resumes its thread (`codex exec … resume THREAD PROMPT`).
@Suite(.timeLimit(.minutes(3))) struct CodexFollowupTests {
    @Test func aCodexFollowupResumesItsThread() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let environment = try fixture.environment(withPrograms: ["codex": Binaries.fixtures + "/fake-agent"])
        let file = try fixture.tasksFile(#"[{"id": "auth", "prompt": "[[write notes.txt one]]"}]"#)
        let batch = try run([Binaries.conductor, "batch", "--worktrees", "-d", fixture.store, "-n", "x", "--agent", "codex", file],
                            in: app, environment: environment)
        #expect(batch.status == 0, "\(batch.stderr)")
        let before = try #require(try MergeReport.readResults("\(fixture.store)/x/results.jsonl").first)
        let thread = try #require(before.result.agent?.sessionId)

        let followup = try run([Binaries.conductor, "followup", "auth", "[[append notes.txt two]]", "-n", "x", "-d", fixture.store],
                               in: app, environment: environment)
        #expect(followup.status == 0, "\(followup.stderr)")
        let after = try #require(try MergeReport.readResults("\(fixture.store)/x/results.jsonl").first)
        #expect(after.result.agent?.sessionId == thread, "Codex continued its own thread")
        #expect(after.result.commits?.count == 2)
        #expect(try fixture.git(app, ["show", "conductor/x/w0:notes.txt"]) == "one\ntwo\n")
    }
}
