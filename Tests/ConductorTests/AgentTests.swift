import Conductor
import Foundation
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(3))) struct AgentTests {
    @Test func claudeGetsThePromptAsOneArgument() throws {
        let agent = Agent.claude(extraArguments: ["--model", "sonnet"], program: "/bin/echo")
        let prompt = "Fix it; rm -rf / $(whoami) `id` \"quoted\""
        let head = ["/bin/echo", "-p", "--output-format", "stream-json", "--verbose", "--permission-mode", "acceptEdits", "--model", "sonnet"]
        #expect(try agent.arguments(for: prompt, searchPath: nil) == head + [prompt])
        #expect(try agent.arguments(for: "-dash first", searchPath: nil) == head + ["--", "-dash first"])
    }

    @Test func thePresetLetsTheUserChooseThePermissions() throws {
        for chosen in [["--permission-mode", "plan"], ["--allowedTools", "Edit,Bash(npm test:*)"], ["--dangerously-skip-permissions"], ["--permission-mode=default"]] {
            let arguments = try Agent.claude(extraArguments: chosen, program: "/bin/echo").arguments(for: "p", searchPath: nil)
            #expect(arguments == ["/bin/echo", "-p", "--output-format", "stream-json", "--verbose"] + chosen + ["p"], "\(chosen)")
        }
    }

    @Test func aPromptTooLongForAnArgumentIsLeftForStandardInput() throws {
        let long = String(repeating: "x", count: Agent.longestPromptArgument + 1)
        #expect(try Agent.claude(program: "/bin/echo").arguments(for: long, searchPath: nil)
            == ["/bin/echo", "-p", "--output-format", "stream-json", "--verbose", "--permission-mode", "acceptEdits"])
        #expect(throws: AgentError.self) { try Agent.template("/bin/echo --message={prompt}").arguments(for: long, searchPath: nil) }
        #expect(throws: AgentError.self, "an option left without its value") { try Agent.template("/bin/echo --message {prompt} --after").arguments(for: long, searchPath: nil) }
        let bin = TemporaryDirectory()
        try FileManager.default.createSymbolicLink(atPath: bin.appending("aider"), withDestinationPath: "/bin/echo")
        #expect(try Agent.aider().arguments(for: long, searchPath: bin.path).suffix(2) == ["--message-file", "/dev/stdin"])
    }

    @Test func templatesSplitLikeAShellButPlaceThePromptVerbatim() throws {
        let agent = try Agent.template(#"/bin/echo --yes --message={prompt} 'two words' "x y" a\ b"#)
        #expect(try agent.arguments(for: "hi; ls", searchPath: nil) == ["/bin/echo", "--yes", "--message=hi; ls", "two words", "x y", "a b"])
        let appended = try Agent.template("/bin/echo --flag")
        #expect(try appended.arguments(for: "p", searchPath: nil) == ["/bin/echo", "--flag", "p"])
        #expect(throws: AgentError.self) { try Agent.template("echo 'unclosed") }
        #expect(throws: AgentError.self) { try Agent.template("   ") }
        #expect(throws: AgentError.unknownPreset("gpt")) { try Agent.preset("gpt") }
    }

    @Test func aMissingAgentIsAClearError() {
        let error = #expect(throws: AgentError.self) { try Agent.claude().arguments(for: "x", searchPath: "/nonexistent") }
        #expect(error?.description.contains("not installed") == true)
    }

    @Test func parsesClaudesJSONResult() throws {
        let output = Data(#"{"type":"result","subtype":"success","is_error":false,"duration_ms":1234,"num_turns":3,"result":"All good","session_id":"abc","total_cost_usd":0.25}"#.utf8)
        let parsed = try #require(AgentOutput.read(output, stderr: "", exitStatus: 0, format: .claudeJSON))
        #expect(parsed.text == "All good")
        #expect(parsed.report == AgentReport(costUsd: 0.25, sessionId: "abc", numTurns: 3, durationMs: 1234, subtype: "success", isError: false))
        #expect(AgentOutput.read(Data("plain text".utf8), stderr: "", exitStatus: 0, format: .claudeJSON) == nil)
    }
}
