import ArgumentParser
import Conductor
import Foundation

/// `--queue`: where the queue lives.
struct QueueOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The queue directory (default: $CONDUCTOR_HOME, else ~/.claude-code/orchestrator).", valueName: "dir"))
    var queue: String?

    var root: QueueRoot { QueueRoot.resolve(queue) }
}

/// `-d/--dir`: where batches and sessions live.
struct StoreOptions: ParsableArguments {
    @Option(name: [.short, .customLong("dir")], help: ArgumentHelp(
        "Where batches and sessions live (default: ~/conductor-work).", valueName: "dir"))
    var directory: String?

    var store: BatchStore { BatchStore.resolve(directory) }
}

/// How prompts reach an agent.
struct AgentOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The agent preset for prompts: claude (runs `claude -p --output-format json PROMPT`).", valueName: "name"))
    var agent: String?

    @Option(name: .customLong("agent-cmd"), help: ArgumentHelp(
        "A custom agent command; {prompt} marks the prompt's place, e.g. 'aider --yes --message {prompt}'. Never run by a shell. Default: $CONDUCTOR_AGENT_CMD.",
        valueName: "template"))
    var agentCommand: String?

    @Option(name: .customLong("agent-arg"), help: ArgumentHelp(
        "An extra argument for the agent, before the prompt (repeatable), e.g. --agent-arg=--model --agent-arg=sonnet.",
        valueName: "arg"))
    var agentArguments: [String] = []

    /// The agent these options name: `--agent-cmd`, else `--agent`, else the tasks file's `agent`
    /// (a preset name or a template), else `$CONDUCTOR_AGENT_CMD`, else claude.
    func resolve(fileAgent: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Agent {
        if let agentCommand { return try Agent.template(agentCommand, extraArguments: agentArguments) }
        if let agent { return try Agent.preset(agent, extraArguments: agentArguments) }
        if let fileAgent {
            return Agent.presetNames.contains(fileAgent)
                ? try Agent.preset(fileAgent, extraArguments: agentArguments)
                : try Agent.template(fileAgent, extraArguments: agentArguments)
        }
        if let template = environment["CONDUCTOR_AGENT_CMD"], !template.isEmpty {
            return try Agent.template(template, extraArguments: agentArguments)
        }
        return Agent.claude(extraArguments: agentArguments)
    }

    /// The same choice as `conductor worker` arguments, for the workers a batch starts.
    func workerArguments(fileAgent: String? = nil) -> [String] {
        var arguments: [String]
        if let agentCommand { arguments = ["--agent-cmd", agentCommand] }
        else if let agent { arguments = ["--agent", agent] }
        else if let fileAgent { arguments = Agent.presetNames.contains(fileAgent) ? ["--agent", fileAgent] : ["--agent-cmd", fileAgent] }
        else { arguments = [] }
        return arguments + agentArguments.map { "--agent-arg=\($0)" }
    }
}
