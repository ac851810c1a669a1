import FoundationEssentials
import Queue

/// The agents conductor knows by name, each with the command line that lets it edit its worktree
/// without asking (see `../shared/AGENTS.md`), and the parser of what it prints.
extension Agent {
    /// The presets `--agent` and the tasks file's `agent` accept.
    public static let presetNames = ["claude", "codex", "gemini", "cursor", "opencode", "aider"]

    /// A preset by name; `extraArguments` go before the prompt.
    ///
    /// - Throws: `AgentError.unknownPreset` naming the presets that exist.
    public static func preset(_ name: String, extraArguments: [String] = []) throws -> Agent {
        var agent: Agent
        switch name {
        case "claude": agent = claude(extraArguments: extraArguments)
        case "codex": agent = codex(extraArguments: extraArguments)
        case "gemini": agent = gemini(extraArguments: extraArguments)
        case "cursor": agent = cursor(extraArguments: extraArguments)
        case "opencode": agent = opencode(extraArguments: extraArguments)
        case "aider": agent = aider(extraArguments: extraArguments)
        default: throw AgentError.unknownPreset(name)
        }
        return agent
    }

    /// The agent `name` names: a preset when it is one, else a command template.
    ///
    /// - Throws: `AgentError.badTemplate` for a template that cannot be split.
    public static func named(_ name: String, extraArguments: [String] = []) throws -> Agent {
        try AgentChoice.named(name, extraArguments: extraArguments).agent(environment: [:])
    }

    /// This agent continuing its session `session`: `--resume SESSION` before the prompt for
    /// agents that print Claude Code's result object (`claude -p --resume`), `resume SESSION` for
    /// Codex (`codex exec … resume THREAD PROMPT`).
    ///
    /// - Throws: `AgentError.cannotResume` for an agent conductor cannot resume.
    public func resuming(session: String) throws -> Agent {
        let words: [String]
        switch output {
        case .claudeJSON: words = ["--resume", session]
        case .codexEvents: words = ["resume", session]
        default: throw AgentError.cannotResume(program)
        }
        guard let prompt = template.firstIndex(of: "{prompt}") else { throw AgentError.cannotResume(program) }
        var resumed = Agent(template: Array(template[..<prompt]) + words + Array(template[prompt...]), output: output)
        resumed.promptOption = promptOption
        resumed.standardInputPrompt = standardInputPrompt
        resumed.otherPrograms = otherPrograms
        resumed.requiresStructuredOutput = requiresStructuredOutput
        return resumed
    }

    /// Claude Code in headless mode: `claude -p --output-format stream-json --verbose
    /// --permission-mode acceptEdits [extra…] PROMPT`. Its events, one per line, tell what it is
    /// doing as it works (see `AgentActivity`); the last one is the result.
    ///
    /// In its default permission mode headless Claude Code may not edit: it answers "success"
    /// having changed nothing. The preset lets it edit (its own worktree) unless the extra
    /// arguments choose permissions themselves (`--permission-mode`, `--allowedTools`,
    /// `--dangerously-skip-permissions`).
    public static func claude(extraArguments: [String] = [], program: String = "claude") -> Agent {
        let choosesPermissions = extraArguments.contains { argument in
            claudePermissionFlags.contains { argument == $0 || argument.hasPrefix($0 + "=") }
        }
        let permissions = choosesPermissions ? [] : ["--permission-mode", "acceptEdits"]
        var agent = Agent(template: [program, "-p", "--output-format", "stream-json", "--verbose"] + permissions + extraArguments + ["{prompt}"],
                          output: .claudeJSON)
        agent.requiresStructuredOutput = true
        return agent
    }

    /// Claude Code's flags that decide what it may do.
    static let claudePermissionFlags = ["--permission-mode", "--allowedTools", "--allowed-tools", "--dangerously-skip-permissions"]

    /// OpenAI Codex: `codex exec --sandbox workspace-write --json [extra…] PROMPT` (its default
    /// sandbox is read-only: no edits); a long prompt is read from standard input (`-`).
    public static func codex(extraArguments: [String] = []) -> Agent {
        var agent = Agent(template: ["codex", "exec", "--sandbox", "workspace-write", "--json"] + extraArguments + ["{prompt}"], output: .codexEvents)
        agent.standardInputPrompt = ["-"]
        agent.requiresStructuredOutput = true
        return agent
    }

    /// Gemini CLI: `gemini --output-format json --approval-mode auto_edit [extra…] -p PROMPT`; a
    /// long prompt is read from standard input.
    public static func gemini(extraArguments: [String] = []) -> Agent {
        var agent = Agent(template: ["gemini", "--output-format", "json", "--approval-mode", "auto_edit"] + extraArguments + ["-p", "{prompt}"],
                          output: .geminiJSON)
        agent.promptOption = "-p"
        agent.requiresStructuredOutput = true
        return agent
    }

    /// Cursor's agent: `agent -p --force --output-format json [extra…] PROMPT` (`cursor-agent`
    /// before it was renamed; it needs `CURSOR_API_KEY`).
    public static func cursor(extraArguments: [String] = []) -> Agent {
        var agent = Agent(template: ["agent", "-p", "--force", "--output-format", "json"] + extraArguments + ["{prompt}"], output: .claudeJSON)
        agent.otherPrograms = ["cursor-agent"]
        agent.requiresStructuredOutput = true
        return agent
    }

    /// opencode: `opencode run --format json [extra…] PROMPT`; it can exit 0 on errors, so its
    /// events decide.
    public static func opencode(extraArguments: [String] = []) -> Agent {
        var agent = Agent(template: ["opencode", "run", "--format", "json"] + extraArguments + ["{prompt}"], output: .opencodeEvents)
        agent.requiresStructuredOutput = true
        return agent
    }

    /// aider: `aider --yes-always [extra…] --message PROMPT`. It commits by itself (those
    /// commits are the task's); a long prompt is read with `--message-file /dev/stdin`.
    public static func aider(extraArguments: [String] = []) -> Agent {
        var agent = Agent(template: ["aider", "--yes-always"] + extraArguments + ["--message", "{prompt}"], output: .aiderText)
        agent.promptOption = "--message"
        agent.standardInputPrompt = ["--message-file", "/dev/stdin"]
        return agent
    }
}
