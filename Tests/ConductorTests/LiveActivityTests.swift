import Conductor
import Foundation
import Testing
import TestSupport

/// What a running prompt's agent is doing shows while it runs: in `status.json`, in
/// `conductor status` (text and `--json`) and in the batch's progress, read from the agent's
/// event stream as it comes (Claude Code's stream-json, Codex's and opencode's events). The
/// stand-ins print a tool use per directive; `[[wait-file PATH]]` holds the task until the test
/// has looked.
@Suite(.serialized, .timeLimit(.minutes(4))) struct LiveActivityTests {
    @Test(arguments: ["claude", "codex", "opencode"])
    func statusShowsWhatTheAgentIsDoingWhileTheTaskRuns(preset: String) throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let go = fixture.directory.appending("go")
        let name = "live-\(preset)"
        let file = try fixture.tasksFile(#"[{"id": "auth-fix", "prompt": "[[write src/auth.py fixed]] [[wait-file \#(go)]]"}]"#)
        let stand_in = preset == "claude" ? Binaries.fakeClaude : Binaries.fixtures + "/fake-agent"
        let environment = try fixture.environment(withPrograms: [preset: stand_in])
        let batch = try BackgroundProcess(
            [Binaries.conductor, "batch", "--worktrees", "-w", "1", "-d", fixture.store, "-n", name, "--agent", preset, file],
            directory: app, environment: environment)
        defer { batch.stop() }

        var seen: [String: Any] = [:]
        let showed = try waitUntil(timeout: 120) {
            let status = try run([Binaries.conductor, "status", "-n", name, "-d", fixture.store, "--json"], environment: environment)
            let snapshot = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
            let worker = (snapshot?["workers"] as? [[String: Any]])?.first
            seen = worker?["activity"] as? [String: Any] ?? [:]
            return (seen["doing"] as? String)?.hasPrefix("Bash wait-file") == true
        }
        #expect(showed, "status --json shows the tool in use while the task runs; last seen: \(seen)")
        #expect(seen["turn"] as? Int == (preset == "claude" ? 2 : 1), "Claude counts a turn per message, the others per turn or step: \(seen)")
        let text = try run([Binaries.conductor, "status", "-n", name, "-d", fixture.store], environment: environment)
        #expect(text.stdout.contains("NOW") && text.stdout.contains("Bash wait-file"), "\(text.stdout)")
        // The progress tells of what the orchestrator sees (a tool use that ends at once can be
        // overtaken by the next one before it looks): the one the agent waits in.
        let told = waitUntil(timeout: 60) { batch.output.contains("activity  auth-fix on worker 0: Bash wait-file") }
        #expect(told, "the batch's progress tells what the agent is doing: \(batch.output)")

        _ = FileManager.default.createFile(atPath: go, contents: nil)
        #expect(batch.waitForExit(timeout: 120) == 0, "\(batch.output)")
        let records = try BatchRun.finalResults(journal: "\(fixture.store)/\(name)/journal.jsonl")
        let record = try #require(records["auth-fix"])
        #expect(record.result.status == .done, "\(record.result.error ?? "")")
        #expect(record.result.commit != nil, "the edit was committed")
        let transcript = try String(contentsOfFile: try #require(record.result.stdoutLog), encoding: .utf8)
        #expect(transcript.split(separator: "\n").count >= 4 && transcript.contains("src/auth.py") && transcript.contains("wait-file"),
                "the task's log keeps every event: \(transcript)")
    }
}
