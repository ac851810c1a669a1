import Conductor
import Foundation
import Testing
import TestSupport

/// The `claude` preset against a stand-in that behaves as headless Claude Code does: edits are
/// refused quietly in the default permission mode, a rate limit can come back as "success", the
/// output may be an array of messages, and a prompt may be longer than an argument may be.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ClaudePresetTests {
    /// A batch run with `--agent claude`, where `claude` on PATH is the stand-in.
    private func batch(_ fixture: BatchFixture, _ app: String, tasks: String, extra: [String] = []) throws -> (RunResult, [String: TaskResult]) {
        let name = "c\(UUID().uuidString.prefix(6))"
        let file = try fixture.tasksFile(tasks, name: name + ".json")
        let environment = try fixture.environment(withPrograms: ["claude": Binaries.fakeClaude])
        let result = try run([Binaries.conductor, "batch", "--worktrees", "-w", "1", "-d", fixture.store, "-n", name, "--agent", "claude",
                              "--backoff", "0"] + extra + [file], in: app, environment: environment)
        return (result, try BatchRun.finalResults(journal: "\(fixture.store)/\(name)/journal.jsonl"))
    }

    @Test func thePresetLetsTheAgentEditItsWorktree() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let (result, records) = try batch(fixture, app, tasks: #"[{"id": "edit", "prompt": "[[write notes/a.txt hello]]"}]"#)
        #expect(result.status == 0, "\(result.stderr)")
        let record = try #require(records["edit"])
        #expect(record.result.status == .done)
        #expect(record.result.commit != nil, "the edit was made and committed: \(record.result.output)")
    }

    @Test func editsThePermissionModeRefusedFailTheTaskAndSayWhich() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let (result, records) = try batch(fixture, app, tasks: #"[{"id": "edit", "prompt": "[[write notes/a.txt hello]]"}]"#,
                                          extra: ["--agent-arg=--permission-mode", "--agent-arg=default"])
        #expect(result.status == 1, "a refused edit is not a silent success: \(result.stderr)")
        let record = try #require(records["edit"])
        #expect(record.result.status == .error)
        #expect(record.result.agent?.permissionDenials == ["Write notes/a.txt"])
        #expect(record.result.error?.contains("refused 1 tool use(s) it needed (Write notes/a.txt)") == true, "\(record.result.error ?? "")")
    }

    @Test func aRateLimitReportedAsSuccessIsRetriedAsALimit() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let (result, records) = try batch(fixture, app, tasks: #"[{"id": "trap", "prompt": "[[limit-as-success]] go"}]"#, extra: ["--retries", "1"])
        #expect(result.status == 1)
        let record = try #require(records["trap"])
        #expect(record.result.attempts == 2, "retried once as a rate limit")
        #expect(record.result.agent?.rateLimited == true)
        #expect(record.result.error?.contains("hit a rate or usage limit: API Error: Rate limit reached") == true, "\(record.result.error ?? "")")
    }

    @Test func theTurnLimitIsTheReasonAndAnArrayOfMessagesIsRead() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let (_, records) = try batch(fixture, app, tasks: #"[{"id": "turns", "prompt": "[[as-array]] [[max-turns]]"}]"#, extra: ["--retries", "0"])
        let record = try #require(records["turns"])
        #expect(record.result.status == .error)
        #expect(record.result.agent?.subtype == "error_max_turns")
        #expect(record.result.error?.contains("turn limit") == true, "\(record.result.error ?? "")")
        #expect(record.result.output == "Reached maximum number of turns (1)")
    }

    @Test func aPromptLongerThanAnArgumentMayBeGoesOnStandardInput() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let context = String(repeating: "context ", count: 25_000)
        let (result, records) = try batch(fixture, app, tasks: #"[{"id": "long", "prompt": "[[write long.txt made]] \#(context)"}]"#)
        #expect(result.status == 0, "\(result.stderr)")
        let record = try #require(records["long"])
        #expect(record.result.status == .done, "\(record.result.error ?? "")")
        #expect(record.result.commit != nil, "the long prompt reached the agent whole and its edit was committed")
    }

    @Test func outputThatIsNotClaudesIsNotASuccess() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let impostor = fixture.directory.appending("impostor")
        try writeExecutable("#!/bin/sh\necho this is not json\n", to: impostor)
        let file = try fixture.tasksFile(#"[{"id": "odd", "prompt": "do it"}]"#, name: "odd.json")
        let environment = try fixture.environment(withPrograms: ["claude": impostor])
        let result = try run([Binaries.conductor, "batch", "-w", "1", "-d", fixture.store, "-n", "odd", "--agent", "claude", file], in: app, environment: environment)
        #expect(result.status == 1, "\(result.stderr)")
        let record = try #require(try BatchRun.finalResults(journal: "\(fixture.store)/odd/journal.jsonl")["odd"])
        #expect(record.result.error?.contains("is not what claude prints") == true, "\(record.result.error ?? "")")
    }
}
