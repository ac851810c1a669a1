import FoundationEssentials
import Queue

/// Reading what an agent printed: its answer, whether it failed (whatever its exit code said),
/// why, and its usage (cost, tokens, session).
public enum AgentOutput {
    /// What an agent prints.
    public enum Format: String, Sendable, Equatable {
        /// One `{"type":"result", …}` object (Claude Code, Cursor's agent).
        case claudeJSON
        /// JSON lines of `thread.*`, `turn.*`, `item.*` and `error` events (Codex).
        case codexEvents
        /// One `{"response", "stats"}` or `{"error"}` object (Gemini CLI).
        case geminiJSON
        /// JSON lines of `step_start`, `text`, `tool_use`, `step_finish` and `error` events (opencode).
        case opencodeEvents
        /// Plain text, with its rate-limit errors (aider).
        case aiderText
        /// Plain text: the exit code alone decides.
        case text
    }

    /// An agent's answer and report, read from its output.
    public struct Reading: Sendable, Equatable {
        public var text: String
        public var report: AgentReport
    }

    /// Reads `stdout` (and, for agents that report errors there, `stderr`) as `format` says;
    /// nil when the output is not what that agent prints (or is plain text).
    public static func read(_ stdout: Data, stderr: String, exitStatus: Int32?, format: Format) -> Reading? {
        switch format {
        case .claudeJSON: return parseClaude(stdout)
        case .codexEvents: return parseCodex(stdout)
        case .geminiJSON: return parseGemini(stdout, exitStatus: exitStatus)
        case .opencodeEvents: return parseOpencode(stdout)
        case .aiderText: return parseAider(stdout, stderr: stderr, exitStatus: exitStatus)
        case .text: return nil
        }
    }

    /// True when the agent's report says the task failed, though the agent may have exited 0:
    /// an error it reported, or tool uses its permission mode refused (edits quietly not made).
    public static func reportsFailure(_ report: AgentReport) -> Bool {
        report.isError == true || !(report.permissionDenials ?? []).isEmpty
    }

    /// Why a task whose agent reported a failure failed, in words: the turn or budget limit, a
    /// rate or usage limit, edits the permission mode refused, or the agent's own message.
    public static func failureReason(_ report: AgentReport, answer: String) -> String {
        let said = answer.split(whereSeparator: \.isNewline).first.map { ": " + $0 } ?? ""
        if let denials = report.permissionDenials, !denials.isEmpty {
            return "the agent was refused \(denials.count) tool use(s) it needed (\(denials.prefix(5).joined(separator: ", "))); "
                + "let it edit with --agent-arg=--permission-mode --agent-arg=acceptEdits, or list the tools with --agent-arg=--allowedTools --agent-arg='Edit,Write'"
        }
        switch report.subtype {
        case "error_max_turns": return "the agent stopped at its turn limit (--max-turns) before it finished" + said
        case "error_max_budget_usd": return "the agent stopped at its budget limit before it finished" + said
        default: break
        }
        if report.usageLimited == true { return "the agent hit its usage limit" + said }
        if report.rateLimited == true { return "the agent hit a rate or usage limit" + said }
        return "the agent reported an error (\(report.subtype ?? "is_error"))" + said
    }

    /// True for the messages agents give when they hit a limit: Claude's "API Error: Rate limit
    /// reached", "API Error: 429 …", "API Error: 529 Overloaded", "Claude AI usage limit
    /// reached|<epoch>", "You've hit your limit · resets 1pm"; Codex's `usage_limit_reached` and
    /// "You've hit your usage limit"; Gemini's `RESOURCE_EXHAUSTED`; litellm's `RateLimitError`.
    /// Asked only of an agent's own error, never of a command's output.
    /// A message that merely mentions 429 or a rate limit ("HTTP 429 while testing the rate_limit
    /// module") is not one: only the phrases the agents and their APIs use count.
    static func isLimitMessage(_ message: String) -> Bool {
        let text = message.lowercased()
        let phrases = ["rate limit reached", "rate limit exceeded", "rate_limit_error", "ratelimiterror", "usage limit reached",
                       "usage_limit_reached", "hit your limit", "hit your usage limit", "resource_exhausted", "overloaded_error"]
        if phrases.contains(where: text.contains) { return true }
        return text.contains(/\bapi error: (429|529)\b/)
    }
}
