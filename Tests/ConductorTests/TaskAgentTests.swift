import Conductor
import Foundation
import Testing
import TestSupport

/// A task may name its own agent, so one batch compares agents on the same prompt.
@Suite(.timeLimit(.minutes(3))) struct TaskAgentTests {
    @Test func oneBatchRunsTheSamePromptThroughTwoAgents() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let environment = try fixture.environment(withPrograms: ["codex": Binaries.fixtures + "/fake-agent"])
        let file = try fixture.tasksFile("""
        {"tasks": [
          {"id": "by-default", "prompt": "[[write answer.txt from the batch's agent]]"},
          {"id": "by-codex", "prompt": "[[write answer.txt from codex]]", "agent": "codex"}
        ]}
        """)
        let result = try run([Binaries.conductor, "batch", "--worktrees", "-w", "2", "-d", fixture.store, "-n", "a", file], in: app, environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let records = try BatchRun.finalResults(journal: "\(fixture.store)/a/journal.jsonl")
        let codex = try #require(records["by-codex"]?.result)
        let batchAgent = try #require(records["by-default"]?.result)
        #expect(codex.agent?.inputTokens != nil && codex.agent?.costUsd == nil, "codex reports tokens, no cost: \(String(describing: codex.agent))")
        #expect(batchAgent.agent?.costUsd != nil, "the batch's agent (the Claude stand-in) reports its cost")
        let worker = try #require(records["by-codex"]?.worker)
        #expect(try fixture.git("\(fixture.store)/a/app/w\(worker)", ["show", "\(codex.commit ?? "HEAD"):answer.txt"]) == "from codex\n")

        // The ledger: cost and tokens per agent and per worker, in report.json, report.md and list.
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(fixture.store)/a/report.json"))) as? [String: Any])
        let ledger = try #require(report["ledger"] as? [String: Any])
        let byAgent = try #require(ledger["byAgent"] as? [String: [String: Any]])
        #expect(Set(byAgent.keys) == ["codex", "default agent"], "\(byAgent.keys)")
        #expect((byAgent["codex"]?["inputTokens"] as? Int ?? 0) > 0)
        #expect((byAgent["default agent"]?["costUsd"] as? Double ?? 0) > 0)
        #expect((ledger["byWorker"] as? [String: Any])?.count == 2)
        let markdown = try String(contentsOfFile: "\(fixture.store)/a/report.md", encoding: .utf8)
        #expect(markdown.contains("- Agents: $0.0123,") && markdown.contains("  - codex: "), "\(markdown)")
        let list = try fixture.conductor(["list", "-d", fixture.store, "--json"])
        #expect(list.stdout.contains("\"inputTokens\""), "\(list.stdout)")
    }

    @Test func aTaskAgentThatCannotRunIsRefusedUpFront() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let missing = try fixture.tasksFile(#"[{"id": "x", "prompt": "hi", "agent": "no-such-tool"}]"#, name: "missing.json")
        let result = try fixture.conductor(["batch", "-d", fixture.store, missing], in: app)
        #expect(result.status == 2)
        #expect(result.stderr.contains("field \"agent\""), "\(result.stderr)")
        let command = try fixture.tasksFile(#"[{"id": "y", "command": "true", "agent": "codex"}]"#, name: "command.json")
        let refused = try fixture.conductor(["batch", "-d", fixture.store, command], in: app)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("only a prompt goes to an agent"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fixture.store), "nothing was written")
    }
}
