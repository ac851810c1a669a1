import FoundationEssentials
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import FoundationShims
import Queue

/// How a prompt becomes a process: a preset (`claude`) or an argv template with `{prompt}`.
///
/// The prompt is always one argument of its own; it never passes through a shell.
public struct Agent: Sendable, Equatable {
    /// The argv before the prompt is put in; `{prompt}` marks where it goes.
    public let template: [String]
    /// True when the agent prints Claude Code's `--output-format json` object.
    public let speaksClaudeJSON: Bool

    /// The presets `--agent` accepts.
    public static let presetNames = ["claude"]

    /// Claude Code in headless mode: `claude -p --output-format json [extra…] PROMPT`.
    public static func claude(extraArguments: [String] = [], program: String = "claude") -> Agent {
        Agent(template: [program, "-p", "--output-format", "json"] + extraArguments + ["{prompt}"], speaksClaudeJSON: true)
    }

    /// A preset by name.
    ///
    /// - Throws: `AgentError.unknownPreset` naming the presets that exist.
    public static func preset(_ name: String, extraArguments: [String] = []) throws -> Agent {
        guard name == "claude" else { throw AgentError.unknownPreset(name) }
        return claude(extraArguments: extraArguments)
    }

    /// A custom agent from a command template such as `aider --yes --message {prompt}`, split into
    /// words as a shell would (quotes and backslashes), but never run by one. Without `{prompt}`
    /// the prompt becomes the last argument.
    ///
    /// - Throws: `AgentError.badTemplate` for an empty template or an unclosed quote.
    public static func template(_ text: String, extraArguments: [String] = []) throws -> Agent {
        var words = try Self.split(text)
        guard !words.isEmpty else { throw AgentError.badTemplate(text, "it is empty") }
        words += extraArguments
        if !words.contains(where: { $0.contains("{prompt}") }) { words.append("{prompt}") }
        return Agent(template: words, speaksClaudeJSON: URL(fileURLWithPath: words[0]).lastPathComponent.contains("claude"))
    }

    /// The program, as named in the template.
    public var program: String { template[0] }

    /// The argv for `prompt`, with the program resolved against `PATH`.
    ///
    /// - Throws: `AgentError.notFound` when the program is not installed.
    public func arguments(for prompt: String, searchPath: String?) throws -> [String] {
        guard let resolved = Executable.find(program, searchPath: searchPath) else {
            throw AgentError.notFound(program)
        }
        var arguments = template.map { $0 == "{prompt}" ? prompt : $0.replacing("{prompt}", with: prompt) }
        arguments[0] = resolved
        if speaksClaudeJSON, prompt.hasPrefix("-"), let index = template.firstIndex(of: "{prompt}") {
            arguments.insert("--", at: index)
        }
        return arguments
    }

    /// Reads Claude Code's JSON result (`result`, `is_error`, cost, session, turns) from stdout.
    /// Returns nil when stdout is not such an object.
    public static func parseClaudeOutput(_ stdout: Data) -> (text: String, report: AgentReport)? {
        let text = String(decoding: stdout, as: UTF8.self)
        let candidates = [text] + text.split(separator: "\n").reversed().map(String.init)
        for candidate in candidates {
            guard let object = try? JSONDecoder().decode(ClaudeResult.self, from: Data(candidate.utf8)),
                  object.result != nil || object.isError != nil else { continue }
            var report = AgentReport(
                costUsd: object.totalCostUsd, sessionId: object.sessionId, numTurns: object.numTurns,
                durationMs: object.durationMs, subtype: object.subtype, isError: object.isError)
            if object.isError == true { report.rateLimited = isLimitMessage(object.result ?? "") }
            return (object.result ?? "", report)
        }
        return nil
    }

    /// True for the messages Claude Code puts in `result` when it hit a limit: "API Error: Rate
    /// limit reached", "API Error: 429 …", "API Error: 529 Overloaded", "Claude AI usage limit
    /// reached|<epoch>", "You've hit your limit · resets 1pm". Only asked when `is_error` is true.
    static func isLimitMessage(_ result: String) -> Bool {
        let text = result.lowercased()
        if ["rate limit", "rate_limit", "usage limit", "hit your limit", "overloaded"].contains(where: text.contains) { return true }
        return text.contains(/\bapi error: (429|529)\b/)
    }

    /// The fields of Claude Code's `--output-format json` object that conductor keeps; each is
    /// read on its own, so one of an unexpected type does not lose the others.
    private struct ClaudeResult: Decodable {
        var result: String?
        var isError: Bool?
        var subtype: String?
        var totalCostUsd: Double?
        var sessionId: String?
        var numTurns: Int?
        var durationMs: Int?

        private enum CodingKeys: String, CodingKey {
            case result, subtype
            case isError = "is_error", totalCostUsd = "total_cost_usd", sessionId = "session_id"
            case numTurns = "num_turns", durationMs = "duration_ms"
        }

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            result = try? container.decode(String.self, forKey: .result)
            isError = try? container.decode(Bool.self, forKey: .isError)
            subtype = try? container.decode(String.self, forKey: .subtype)
            totalCostUsd = try? container.decode(Double.self, forKey: .totalCostUsd)
            sessionId = try? container.decode(String.self, forKey: .sessionId)
            numTurns = try? container.decode(Int.self, forKey: .numTurns)
            durationMs = try? container.decode(Int.self, forKey: .durationMs)
        }
    }

    private static func split(_ text: String) throws -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" && quote != "'" {
                escaped = true
                inWord = true
            } else if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "'" || character == "\"" {
                quote = character
                inWord = true
            } else if character.isWhitespace {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(character)
                inWord = true
            }
        }
        if quote != nil || escaped { throw AgentError.badTemplate(text, "a quote or backslash is not closed") }
        if inWord { words.append(current) }
        return words
    }
}

/// A problem with the agent configuration, worded with the fix.
public enum AgentError: Error, CustomStringConvertible, Equatable {
    case unknownPreset(String)
    case badTemplate(String, String)
    case notFound(String)

    public var description: String {
        switch self {
        case .unknownPreset(let name):
            return "unknown agent preset '\(name)' (presets: \(Agent.presetNames.joined(separator: ", "))); for another tool pass --agent-cmd 'tool --flag {prompt}'"
        case .badTemplate(let text, let why):
            return "agent command template '\(text)' cannot be used: \(why)"
        case .notFound(let program):
            return program == "claude"
                ? "the agent 'claude' is not installed (not found in PATH); install Claude Code (npm install -g @anthropic-ai/claude-code) or pass --agent-cmd"
                : "the agent program '\(program)' was not found (not in PATH and not an executable file)"
        }
    }
}

/// Finds programs the way a shell does.
public enum Executable {
    /// The absolute path of `name`: itself when it contains a slash and is executable, else the
    /// first executable match in `searchPath` (a `PATH` value).
    public static func find(_ name: String, searchPath: String?) -> String? {
        if name.contains("/") {
            return access(name, X_OK) == 0 ? URL(fileURLWithPath: name).standardizedFileURL.path : nil
        }
        for directory in (searchPath ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            var info = stat()
            if stat(candidate, &info) == 0, info.st_mode & S_IFMT == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }
}
