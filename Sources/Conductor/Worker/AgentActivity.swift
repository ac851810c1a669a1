import FoundationEssentials
import Queue
import Synchronization

/// Follows an agent's event stream line by line as it is printed, and keeps what the agent is
/// doing now: the tool it uses and on what, its turn, and its cost or tokens so far.
///
/// Reads Claude Code's `stream-json` (`assistant` messages with `tool_use` and `text` blocks,
/// `usage` per message), Codex's `--json` events (`turn.*`, `item.*` with `command_execution`,
/// `file_change`, `agent_message`) and opencode's (`step_start`, `tool_use`, `text`,
/// `step_finish`). Other formats have no events to follow.
struct AgentActivity {
    let format: AgentOutput.Format
    private(set) var current: TaskActivity?
    /// Claude's tokens per message id: one message can come in several events.
    private var claudeUsage: [String: (input: Int, output: Int)] = [:]

    init(format: AgentOutput.Format) {
        self.format = format
    }

    /// True when the agents of `format` print events conductor can follow.
    static func follows(_ format: AgentOutput.Format) -> Bool {
        [.claudeJSON, .codexEvents, .opencodeEvents].contains(format)
    }

    /// Takes one line of the agent's stdout; returns true when what it is doing (or its turn)
    /// changed, false for lines that change nothing or only the counts.
    mutating func read(line: some Collection<UInt8>) -> Bool {
        guard let event = try? JSONDecoder().decode(JSONValue.self, from: Data(line)), event.object != nil else { return false }
        let before = current
        var activity = current ?? TaskActivity(doing: "starting", turn: 0, updatedAt: Date())
        activity.updatedAt = Date()
        switch format {
        case .claudeJSON: readClaude(event, into: &activity)
        case .codexEvents: readCodex(event, into: &activity)
        case .opencodeEvents: readOpencode(event, into: &activity)
        default: return false
        }
        // Events that say nothing of the work (an init, the final result) start nothing.
        guard before != nil || activity.turn > 0 else { return false }
        current = activity
        return before?.doing != activity.doing || before?.turn != activity.turn
    }

    private mutating func readClaude(_ event: JSONValue, into activity: inout TaskActivity) {
        guard event["type"]?.string == "assistant", let message = event["message"] else { return }
        let id = message["id"]?.string ?? "message \(claudeUsage.count + 1)"
        if claudeUsage[id] == nil { activity.turn += 1 }
        claudeUsage[id] = (message["usage"]?["input_tokens"]?.int ?? 0, message["usage"]?["output_tokens"]?.int ?? 0)
        activity.inputTokens = claudeUsage.values.reduce(0) { $0 + $1.input }
        activity.outputTokens = claudeUsage.values.reduce(0) { $0 + $1.output }
        guard case .array(let blocks) = message["content"] else { return }
        for block in blocks {
            switch block["type"]?.string {
            case "tool_use": activity.doing = Self.toolUse(block["name"]?.string, input: block["input"])
            case "text": if let text = block["text"]?.string { activity.doing = Self.saying(text) }
            default: break
            }
        }
    }

    private func readCodex(_ event: JSONValue, into activity: inout TaskActivity) {
        switch event["type"]?.string {
        case "turn.started": activity.turn += 1
        case "turn.completed":
            activity.inputTokens = (activity.inputTokens ?? 0) + (event["usage"]?["input_tokens"]?.int ?? 0)
            activity.outputTokens = (activity.outputTokens ?? 0) + (event["usage"]?["output_tokens"]?.int ?? 0)
        case "item.started", "item.completed":
            guard let item = event["item"] else { return }
            switch item["type"]?.string {
            case "command_execution": activity.doing = Self.toolUse("Bash", input: item)
            case "file_change":
                guard case .array(let changes) = item["changes"] else { return }
                activity.doing = "Edit " + changes.compactMap { $0["path"]?.string }.joined(separator: ", ")
            case "agent_message": if let text = item["text"]?.string { activity.doing = Self.saying(text) }
            case "reasoning": activity.doing = "thinking"
            case "mcp_tool_call": activity.doing = [item["server"]?.string, item["tool"]?.string].compactMap { $0 }.joined(separator: ".")
            case "web_search": activity.doing = "Search " + (item["query"]?.string ?? "the web")
            default: break
            }
        default: break
        }
    }

    private func readOpencode(_ event: JSONValue, into activity: inout TaskActivity) {
        let part = event["part"]
        switch event["type"]?.string {
        case "step_start": activity.turn += 1
        case "tool_use": activity.doing = Self.toolUse(part?["tool"]?.string.map(Self.capitalized), input: part?["state"]?["input"])
        case "text": if let text = part?["text"]?.string { activity.doing = Self.saying(text) }
        case "step_finish":
            activity.costUsd = (activity.costUsd ?? 0) + (part?["cost"]?.double ?? 0)
            activity.inputTokens = (activity.inputTokens ?? 0) + (part?["tokens"]?["input"]?.int ?? 0)
            activity.outputTokens = (activity.outputTokens ?? 0) + (part?["tokens"]?["output"]?.int ?? 0)
        default: break
        }
    }

    /// `Edit src/auth.py`: the tool, and the first of its input's usual targets, on one short line.
    private static func toolUse(_ tool: String?, input: JSONValue?) -> String {
        let keys = ["file_path", "filePath", "path", "command", "pattern", "url", "notebook_path", "query", "description"]
        let target = keys.lazy.compactMap { input?[$0]?.string }.first.map(oneLine)
        return [tool ?? "a tool", target].compactMap { $0 }.joined(separator: " ")
    }

    private static func saying(_ text: String) -> String {
        "says: " + oneLine(text)
    }

    /// The first line of `text`, at most 80 characters.
    private static func oneLine(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.count > 80 ? line.prefix(79) + "…" : line
    }

    private static func capitalized(_ name: String) -> String {
        name.prefix(1).uppercased() + name.dropFirst()
    }
}

extension AgentActivity {
    /// Feeds a running agent's stdout lines to an `AgentActivity` and passes on what it reads:
    /// the activity, and whether what the agent does (or its turn) changed.
    final class Feed: Sendable {
        private let activity: Mutex<AgentActivity>
        private let report: @Sendable (TaskActivity, _ changed: Bool) -> Void

        init(format: AgentOutput.Format, report: @escaping @Sendable (TaskActivity, _ changed: Bool) -> Void) {
            activity = Mutex(AgentActivity(format: format))
            self.report = report
        }

        /// Reads one line (called on the descriptor loop, one line at a time).
        func take(_ line: ArraySlice<UInt8>) {
            let (changed, current) = activity.withLock { activity in (activity.read(line: line), activity.current) }
            if let current { report(current, changed) }
        }
    }
}
