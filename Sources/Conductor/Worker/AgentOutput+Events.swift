import FoundationEssentials
import Queue

/// Codex's, Gemini's, opencode's and aider's output (formats in `../shared/AGENTS.md`).
extension AgentOutput {
    /// `codex exec --json`: the last `agent_message` is the answer, `turn.completed` carries the
    /// tokens, `turn.failed` or `error` a failure (even with exit 0).
    static func parseCodex(_ stdout: Data) -> Reading? {
        let events = JSONValue.lines(stdout)
        guard events.contains(where: { $0["type"]?.string?.hasPrefix("thread.") == true || $0["type"]?.string?.hasPrefix("turn.") == true }) else { return nil }
        var reading = Reading(text: "", report: AgentReport())
        var failure: String?
        for event in events {
            switch event["type"]?.string {
            case "thread.started": reading.report.sessionId = event["thread_id"]?.string
            case "item.completed" where event["item"]?["type"]?.string == "agent_message":
                reading.text = event["item"]?["text"]?.string ?? reading.text
            case "turn.completed":
                reading.report.inputTokens = (reading.report.inputTokens ?? 0) + (event["usage"]?["input_tokens"]?.int ?? 0)
                reading.report.outputTokens = (reading.report.outputTokens ?? 0) + (event["usage"]?["output_tokens"]?.int ?? 0)
                reading.report.numTurns = (reading.report.numTurns ?? 0) + 1
            case "turn.failed": failure = event["error"]?["message"]?.string ?? failure ?? "the turn failed"
            case "error": failure = event["message"]?.string ?? failure ?? "error"
            default: break
            }
        }
        if let failure { reading.fail(failure) }
        return reading
    }

    /// `gemini --output-format json`: `{response, stats}` or `{error: {type, message, code}}`;
    /// exit 53 is its turn limit.
    static func parseGemini(_ stdout: Data, exitStatus: Int32?) -> Reading? {
        guard let object = JSONValue.lines(stdout).last(where: { $0["response"] != nil || $0["error"] != nil }) else { return nil }
        var reading = Reading(text: object["response"]?.string ?? "", report: AgentReport())
        for model in object["stats"]?["models"]?.object?.values ?? [:].values {
            reading.report.inputTokens = (reading.report.inputTokens ?? 0) + (model["tokens"]?["prompt"]?.int ?? 0)
            reading.report.outputTokens = (reading.report.outputTokens ?? 0) + (model["tokens"]?["candidates"]?.int ?? 0)
        }
        if let error = object["error"] {
            let message = error["message"]?.string ?? "error"
            reading.fail(error["code"]?.int == 429 ? "429 " + message : message)
        }
        if exitStatus == 53 { reading.report.subtype = "error_max_turns" }
        return reading
    }

    /// `opencode run --format json`: the text of the last step is the answer, `step_finish`
    /// carries cost and tokens, an `error` event a failure (opencode may still exit 0).
    static func parseOpencode(_ stdout: Data) -> Reading? {
        let events = JSONValue.lines(stdout)
        guard events.contains(where: { ["step_start", "step_finish", "text", "error"].contains($0["type"]?.string) }) else { return nil }
        var reading = Reading(text: "", report: AgentReport())
        var stepText = ""
        var failure: String?
        for event in events {
            reading.report.sessionId = event["sessionID"]?.string ?? reading.report.sessionId
            switch event["type"]?.string {
            case "step_start": stepText = ""
            case "text": stepText += event["part"]?["text"]?.string ?? ""
            case "step_finish":
                let part = event["part"]
                reading.report.costUsd = (reading.report.costUsd ?? 0) + (part?["cost"]?.double ?? 0)
                reading.report.inputTokens = (reading.report.inputTokens ?? 0) + (part?["tokens"]?["input"]?.int ?? 0)
                reading.report.outputTokens = (reading.report.outputTokens ?? 0) + (part?["tokens"]?["output"]?.int ?? 0)
                reading.report.numTurns = (reading.report.numTurns ?? 0) + 1
                if part?["reason"]?.string != "tool-calls" { reading.text = stepText.trimmed }
            case "error":
                let error = event["error"]
                failure = error?["data"]?["message"]?.string ?? error?["message"]?.string ?? error?["name"]?.string ?? "error"
            default: break
            }
        }
        if let failure { reading.fail(failure) }
        return reading
    }

    /// aider prints text and exits 0 even when its model is rate-limited: its own
    /// `RateLimitError` lines say so. When it exits non-zero, its last line is the reason.
    static func parseAider(_ stdout: Data, stderr: String, exitStatus: Int32?) -> Reading? {
        let text = String(decoding: stdout, as: UTF8.self)
        var reading = Reading(text: text.trimmed, report: AgentReport())
        let lines = (text + "\n" + stderr).split(whereSeparator: \.isNewline).map { $0.trimmed }.filter { !$0.isEmpty }
        if let line = lines.first(where: { $0.contains("RateLimitError") }) {
            reading.fail(line)
        } else if exitStatus != 0, let last = lines.last(where: { $0.hasPrefix("Error") }) ?? lines.last {
            reading.fail(last)
        }
        return reading
    }
}

extension AgentOutput.Reading {
    /// Marks the reading failed with the agent's `message` (a limit when it says so).
    mutating func fail(_ message: String) {
        report.isError = true
        report.subtype = report.subtype ?? "error"
        report.rateLimited = AgentOutput.isLimitMessage(message)
        AgentOutput.noteUsageLimit(in: &report, message: message)
        text = message
    }
}
