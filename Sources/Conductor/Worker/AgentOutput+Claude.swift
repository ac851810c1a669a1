import FoundationEssentials
import Queue

/// Claude Code's `--output-format json` and `stream-json` (and Cursor's agent, which prints the same object).
extension AgentOutput {
    /// Reads Claude Code's JSON result (`result`, `is_error`, cost, session, turns, permission
    /// denials) from stdout: one object, the last object of several lines, or the last
    /// `type: "result"` message of a JSON array of messages. Returns nil when there is none.
    static func parseClaude(_ stdout: Data) -> Reading? {
        let text = String(decoding: stdout, as: UTF8.self)
        let candidates = [text] + text.split(separator: "\n").reversed().map(String.init)
        for candidate in candidates {
            let data = Data(candidate.utf8)
            let object = (try? JSONDecoder().decode(ClaudeResult.self, from: data))
                ?? (try? JSONDecoder().decode([ClaudeResult?].self, from: data))?.last { $0?.type == "result" } ?? nil
            guard let object, object.result != nil || object.isError != nil else { continue }
            var report = AgentReport(
                costUsd: object.totalCostUsd, sessionId: object.sessionId, numTurns: object.numTurns,
                durationMs: object.durationMs, subtype: object.subtype, isError: object.isError)
            if object.isError == true {
                report.rateLimited = isLimitMessage(object.result ?? "")
                noteUsageLimit(in: &report, message: object.result ?? "")
            }
            if let denials = object.permissionDenials, !denials.isEmpty { report.permissionDenials = denials.map(\.description) }
            report.inputTokens = object.usage?.inputTokens
            report.outputTokens = object.usage?.outputTokens
            return Reading(text: object.result ?? "", report: report)
        }
        return nil
    }

    /// The fields of Claude Code's `--output-format json` object that conductor keeps; each is
    /// read on its own, so one of an unexpected type does not lose the others.
    private struct ClaudeResult: Decodable {
        var type: String?
        var result: String?
        var isError: Bool?
        var subtype: String?
        var totalCostUsd: Double?
        var sessionId: String?
        var numTurns: Int?
        var durationMs: Int?
        var permissionDenials: [Denial]?
        var usage: Usage?

        struct Usage: Decodable {
            var inputTokens: Int?
            var outputTokens: Int?
            private enum CodingKeys: String, CodingKey { case inputTokens = "input_tokens", outputTokens = "output_tokens" }
        }

        private enum CodingKeys: String, CodingKey {
            case type, result, subtype, usage
            case isError = "is_error", totalCostUsd = "total_cost_usd", sessionId = "session_id"
            case numTurns = "num_turns", durationMs = "duration_ms", permissionDenials = "permission_denials"
        }

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            type = try? container.decode(String.self, forKey: .type)
            usage = try? container.decode(Usage.self, forKey: .usage)
            permissionDenials = try? container.decode([Denial].self, forKey: .permissionDenials)
            result = try? container.decode(String.self, forKey: .result)
            isError = try? container.decode(Bool.self, forKey: .isError)
            subtype = try? container.decode(String.self, forKey: .subtype)
            totalCostUsd = try? container.decode(Double.self, forKey: .totalCostUsd)
            sessionId = try? container.decode(String.self, forKey: .sessionId)
            numTurns = try? container.decode(Int.self, forKey: .numTurns)
            durationMs = try? container.decode(Int.self, forKey: .durationMs)
        }
    }

    /// One entry of `permission_denials`: the tool and what it was used on, e.g. `Edit src/auth.py`.
    private struct Denial: Decodable, CustomStringConvertible {
        var tool: String
        var target: String?

        private enum CodingKeys: String, CodingKey { case tool = "tool_name", input = "tool_input" }

        private struct InputKey: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            tool = (try? container.decode(String.self, forKey: .tool)) ?? "a tool"
            let input = try? container.nestedContainer(keyedBy: InputKey.self, forKey: .input)
            target = ["file_path", "path", "command", "notebook_path", "pattern"].lazy
                .compactMap { try? input?.decode(String.self, forKey: InputKey(stringValue: $0)) }.first
        }

        var description: String { target.map { "\(tool) \($0)" } ?? tool }
    }

}
