import FoundationEssentials
import FoundationShims

/// Which agent a batch's workers use: a command template, else a preset, else
/// `$CONDUCTOR_AGENT_CMD`, else Claude Code, with extra arguments for the agent. It is stored in a
/// batch's record (`"agent": {"preset": "codex", "extraArguments": ["--model", "o3"]}`) and given
/// to the workers a launch starts as part of their `WorkerEntry.Request`.
public struct AgentChoice: Codable, Sendable, Equatable {
    public var template: String?
    public var preset: String?
    /// Arguments for the agent, before the prompt.
    public var extraArguments: [String]

    public init(template: String? = nil, preset: String? = nil, extraArguments: [String] = []) {
        self.template = template
        self.preset = preset
        self.extraArguments = extraArguments
    }

    /// The choice a command line and a tasks file make together: the command template, else the
    /// preset, else the tasks file's `agent` (a preset name or a template), else the default
    /// (`$CONDUCTOR_AGENT_CMD`, else claude, decided where the agent runs).
    public static func chosen(template: String?, preset: String?, fileAgent: String? = nil, extraArguments: [String] = []) -> AgentChoice {
        if let template { return AgentChoice(template: template, extraArguments: extraArguments) }
        if let preset { return AgentChoice(preset: preset, extraArguments: extraArguments) }
        return fileAgent.map { named($0, extraArguments: extraArguments) } ?? AgentChoice(extraArguments: extraArguments)
    }

    /// The choice `conductor worker` arguments carry (`--agent NAME`, `--agent-cmd TEMPLATE`,
    /// `--agent-arg=X`), as batch records before the `agent` key stored it.
    public init(workerArguments arguments: [String]) {
        self.init()
        var index = 0
        while index < arguments.count {
            let next = index + 1 < arguments.count ? arguments[index + 1] : nil
            switch arguments[index] {
            case "--agent": preset = next; index += 1
            case "--agent-cmd": template = next; index += 1
            case "--agent-arg": next.map { extraArguments.append($0) }; index += 1
            case let argument where argument.hasPrefix("--agent-arg="): extraArguments.append(String(argument.dropFirst("--agent-arg=".count)))
            default: break
            }
            index += 1
        }
    }

    /// The same choice as `conductor worker` arguments, for a command line a person reads (the
    /// worker panes of a session).
    public var workerArguments: [String] {
        let chosen = template.map { ["--agent-cmd", $0] } ?? preset.map { ["--agent", $0] } ?? []
        return chosen + extraArguments.map { "--agent-arg=\($0)" }
    }

    /// The agent: the template, else the preset, else `$CONDUCTOR_AGENT_CMD`, else claude.
    ///
    /// - Throws: `AgentError` for an unknown preset or a template that cannot be split.
    public func agent(environment: [String: String]) throws -> Agent {
        if let template { return try Agent.template(template, extraArguments: extraArguments) }
        if let preset { return try Agent.preset(preset, extraArguments: extraArguments) }
        if let variable = environment["CONDUCTOR_AGENT_CMD"], !variable.isEmpty { return try Agent.template(variable, extraArguments: extraArguments) }
        return Agent.claude(extraArguments: extraArguments)
    }

    /// How the agent is named in ledgers: the preset, a template's program, or `default agent`.
    public var label: String {
        if let preset { return preset }
        if let template { return Path.name(String(template.split(separator: " ").first ?? Substring(template))) }
        return "default agent"
    }

    /// The choice a task's (or a tasks file's) `agent` names: a preset when it is one, else a template.
    public static func named(_ name: String, extraArguments: [String] = []) -> AgentChoice {
        Agent.presetNames.contains(name) ? AgentChoice(preset: name, extraArguments: extraArguments)
            : AgentChoice(template: name, extraArguments: extraArguments)
    }
}
