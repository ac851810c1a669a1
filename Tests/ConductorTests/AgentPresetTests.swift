import Conductor
import Foundation
import Testing
import TestSupport

/// Every agent preset end to end through `batch --worktrees`, against a stand-in that speaks that
/// CLI's command line and output (`fixtures/fake-claude`, `fixtures/fake-agent`): its edits are
/// committed, its usage recorded, its failures and limits read from its own output.
@Suite(.serialized, .timeLimit(.minutes(5))) struct AgentPresetTests {
    /// The program each preset runs, and the stand-in behind it.
    static let programs = ["claude": "claude", "codex": "codex", "gemini": "gemini", "cursor": "agent", "opencode": "opencode", "aider": "aider"]

    @Test(arguments: Agent.presetNames)
    func aPresetEditsCommitsReportsUsageAndItsFailures(_ preset: String) throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let program = try #require(Self.programs[preset])
        let environment = try fixture.environment(withPrograms: [program: preset == "claude" ? Binaries.fakeClaude : Binaries.fixtures + "/fake-agent"])
        let file = try fixture.tasksFile("""
        {"tasks": [
          {"id": "edit", "prompt": "[[write \(preset).txt made by \(preset)]]"},
          {"id": "fails", "prompt": "[[fail the model refused]]"},
          {"id": "limited", "prompt": "[[rate-limit 1]] \(preset) limited"}
        ]}
        """)
        let result = try run([Binaries.conductor, "batch", "--worktrees", "--sequential", "-d", fixture.store, "-n", "p", "--agent", preset,
                              "--backoff", "0", "--retries", "1", file], in: app, environment: environment)
        #expect(result.status == 1, "one task fails: \(result.stderr)")
        let records = try BatchRun.finalResults(journal: "\(fixture.store)/p/journal.jsonl")

        let edit = try #require(records["edit"])
        #expect(edit.result.status == .done, "\(edit.result.error ?? "")")
        #expect(!(edit.result.commits ?? []).isEmpty, "the edit is committed")
        let made = try fixture.git("\(fixture.store)/p/app/w0", ["show", "\(edit.result.commit ?? "HEAD"):\(preset).txt"])
        #expect(made == "made by \(preset)\n")
        let usage = try #require(edit.result.agent)
        #expect(usage.costUsd != nil || usage.inputTokens != nil || preset == "aider" || preset == "cursor", "usage recorded: \(usage)")

        let fails = try #require(records["fails"])
        #expect(fails.result.status == .error)
        #expect(fails.result.error?.contains("the model refused") == true, "\(fails.result.error ?? "")")
        #expect(fails.result.attempts == 1, "an ordinary failure is not retried")

        let limited = try #require(records["limited"])
        #expect(limited.result.status == .done, "\(limited.result.error ?? "")")
        #expect(limited.result.attempts == 2, "the limit, read from the agent's own output, was retried")
    }

    @Test func codexWithoutAWritableSandboxChangesNothing() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let file = try fixture.tasksFile(#"[{"id": "edit", "prompt": "[[write x.txt x]]"}]"#)
        let environment = try fixture.environment(withPrograms: ["codex": Binaries.fixtures + "/fake-agent"])
        _ = try run([Binaries.conductor, "batch", "--worktrees", "-w", "1", "-d", fixture.store, "-n", "r", "--agent", "codex",
                     "--agent-arg=--sandbox", "--agent-arg=read-only", file], in: app, environment: environment)
        let edit = try #require(try BatchRun.finalResults(journal: "\(fixture.store)/r/journal.jsonl")["edit"])
        #expect((edit.result.commits ?? []).isEmpty, "the read-only sandbox made no edit")
        #expect(edit.result.output.contains("could not edit x.txt"), "\(edit.result.output)")
    }
}
