import FoundationEssentials
import FoundationShims

/// Which agent a batch's workers use, as the command line chose it: a command template, else a
/// preset, else `$CONDUCTOR_AGENT_CMD`, else Claude Code. It is written into a batch's record as
/// `conductor worker` arguments (`--agent NAME`, `--agent-cmd TEMPLATE`, `--agent-arg=X`) and read
/// back from them.
public struct AgentChoice: Sendable, Equatable {
    public var template: String?
    public var preset: String?
    /// Arguments for the agent, before the prompt.
    public var extraArguments: [String]

    public init(template: String? = nil, preset: String? = nil, extraArguments: [String] = []) {
        self.template = template
        self.preset = preset
        self.extraArguments = extraArguments
    }

    /// The choice `conductor worker` arguments carry.
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
