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

    /// Claude Code in headless mode: `claude -p --output-format json --permission-mode acceptEdits
    /// [extra…] PROMPT`.
    ///
    /// In its default permission mode headless Claude Code may not edit: it answers "success"
    /// having changed nothing. The preset lets it edit (its own worktree) unless the extra
    /// arguments choose permissions themselves (`--permission-mode`, `--allowedTools`,
    /// `--dangerously-skip-permissions`).
    public static func claude(extraArguments: [String] = [], program: String = "claude") -> Agent {
        let choosesPermissions = extraArguments.contains { argument in
            permissionFlags.contains { argument == $0 || argument.hasPrefix($0 + "=") }
        }
        let permissions = choosesPermissions ? [] : ["--permission-mode", "acceptEdits"]
        return Agent(template: [program, "-p", "--output-format", "json"] + permissions + extraArguments + ["{prompt}"], speaksClaudeJSON: true)
    }

    /// Claude Code's flags that decide what it may do.
    static let permissionFlags = ["--permission-mode", "--allowedTools", "--allowed-tools", "--dangerously-skip-permissions"]

    /// The longest prompt passed as an argument; Linux refuses a single argument over 128 KiB
    /// (`Argument list too long`), so a longer one goes on standard input.
    public static let longestPromptArgument = 100_000

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

    /// True when `prompt` is too long for an argument and goes on standard input instead.
    public static func promptGoesOnStandardInput(_ prompt: String) -> Bool {
        prompt.utf8.count > longestPromptArgument
    }

    /// The argv for `prompt`, with the program resolved against `PATH`. A prompt too long for an
    /// argument is left out (the caller hands it over on standard input).
    ///
    /// - Throws: `AgentError.notFound` when the program is not installed, `.promptTooLong` when
    ///   a long prompt is part of a bigger argument (`--message={prompt}`) and cannot be left out.
    public func arguments(for prompt: String, searchPath: String?) throws -> [String] {
        guard let resolved = Executable.find(program, searchPath: searchPath) else {
            throw AgentError.notFound(program)
        }
        if Self.promptGoesOnStandardInput(prompt) {
            guard !template.contains(where: { $0 != "{prompt}" && $0.contains("{prompt}") }) else {
                throw AgentError.promptTooLong(prompt.utf8.count, template.joined(separator: " "))
            }
            return [resolved] + template.dropFirst().filter { $0 != "{prompt}" }
        }
        var arguments = template.map { $0 == "{prompt}" ? prompt : $0.replacing("{prompt}", with: prompt) }
        arguments[0] = resolved
        if speaksClaudeJSON, prompt.hasPrefix("-"), let index = template.firstIndex(of: "{prompt}") {
            arguments.insert("--", at: index)
        }
        return arguments
    }

    /// Reads Claude Code's JSON result (`result`, `is_error`, cost, session, turns, permission
    /// denials) from stdout: one object, the last object of several lines, or the last
    /// `type: "result"` message of a JSON array of messages. Returns nil when there is none.
    public static func parseClaudeOutput(_ stdout: Data) -> (text: String, report: AgentReport)? {
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
            if object.isError == true { report.rateLimited = isLimitMessage(object.result ?? "") }
            if let denials = object.permissionDenials, !denials.isEmpty { report.permissionDenials = denials.map(\.description) }
            return (object.result ?? "", report)
        }
        return nil
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
        if report.rateLimited == true { return "the agent hit a rate or usage limit" + said }
        return "the agent reported an error (\(report.subtype ?? "is_error"))" + said
    }

    /// True when the agent's report says the task failed, though the agent may have exited 0:
    /// `is_error`, or tool uses its permission mode refused (edits quietly not made).
    public static func reportsFailure(_ report: AgentReport) -> Bool {
        report.isError == true || !(report.permissionDenials ?? []).isEmpty
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
        var type: String?
        var result: String?
        var isError: Bool?
        var subtype: String?
        var totalCostUsd: Double?
        var sessionId: String?
        var numTurns: Int?
        var durationMs: Int?
        var permissionDenials: [Denial]?

        private enum CodingKeys: String, CodingKey {
            case type, result, subtype
            case isError = "is_error", totalCostUsd = "total_cost_usd", sessionId = "session_id"
            case numTurns = "num_turns", durationMs = "duration_ms", permissionDenials = "permission_denials"
        }

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            type = try? container.decode(String.self, forKey: .type)
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
    case promptTooLong(Int, String)

    public var description: String {
        switch self {
        case .unknownPreset(let name):
            return "unknown agent preset '\(name)' (presets: \(Agent.presetNames.joined(separator: ", "))); for another tool pass --agent-cmd 'tool --flag {prompt}'"
        case .badTemplate(let text, let why):
            return "agent command template '\(text)' cannot be used: \(why)"
        case .promptTooLong(let bytes, let template):
            return "the prompt is \(bytes) bytes, too long for a command-line argument, and the agent command '\(template)' has no argument of its own for it to leave out; use a template whose prompt is a whole argument ({prompt}), so that a long prompt goes on standard input"
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
