import Conductor
import Foundation
import Testing

/// Which agent a command line and a tasks file choose together, decided in one place.
@Suite(.timeLimit(.minutes(3))) struct AgentChoiceTests {
    @Test func aTemplateBeatsAPresetWhichBeatsTheTasksFilesAgent() {
        #expect(AgentChoice.chosen(template: "aider {prompt}", preset: "codex", fileAgent: "gemini", extraArguments: ["-x"])
            == AgentChoice(template: "aider {prompt}", extraArguments: ["-x"]))
        #expect(AgentChoice.chosen(template: nil, preset: "codex", fileAgent: "gemini") == AgentChoice(preset: "codex"))
        #expect(AgentChoice.chosen(template: nil, preset: nil, fileAgent: "gemini") == AgentChoice(preset: "gemini"))
        #expect(AgentChoice.chosen(template: nil, preset: nil, fileAgent: "my-agent {prompt}") == AgentChoice(template: "my-agent {prompt}"))
        #expect(AgentChoice.chosen(template: nil, preset: nil, extraArguments: ["-v"]) == AgentChoice(extraArguments: ["-v"]))
    }

    @Test func workerArgumentsReadBackAsTheSameChoice() {
        for choice in [AgentChoice(template: "aider --yes {prompt}", extraArguments: ["--model", "x y"]),
                       AgentChoice(preset: "codex", extraArguments: ["--agent-arg=odd"]), AgentChoice()] {
            #expect(AgentChoice(workerArguments: choice.workerArguments) == choice)
        }
    }

    @Test func theDefaultIsTheEnvironmentsCommandElseClaude() throws {
        let fromEnvironment = try AgentChoice().agent(environment: ["CONDUCTOR_AGENT_CMD": "/bin/echo {prompt}"])
        #expect(try fromEnvironment.arguments(for: "p", searchPath: nil) == ["/bin/echo", "p"])
        #expect(try AgentChoice().agent(environment: [:]) == Agent.claude())
    }
}
