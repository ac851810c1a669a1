import FoundationEssentials
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import FoundationShims
import Queue

/// How a prompt becomes a process: a preset (see `Agent+Presets.swift`) or an argv template
/// with `{prompt}`.
///
/// The prompt is always one argument of its own; it never passes through a shell. A prompt too
/// long for an argument goes on standard input instead.
public struct Agent: Sendable, Equatable {
    /// The argv before the prompt is put in; `{prompt}` marks where it goes.
    public let template: [String]
    /// What the agent prints, so its answer, success and usage can be read.
    public let output: AgentOutput.Format
    /// The option that introduces the prompt in `template` (`-p PROMPT`), left out with it when
    /// the prompt goes on standard input.
    public var promptOption: String?
    /// What stands in the prompt's place when it goes on standard input (`-` for tools that read
    /// it from there only when told); nothing when the tool reads standard input by itself.
    public var standardInputPrompt: [String] = []
    /// Other names the program goes by, tried when `program` is not installed.
    public var otherPrograms: [String] = []
    /// True for presets: output that is not the agent's own format means the task was not done.
    public var requiresStructuredOutput = false

    public init(template: [String], output: AgentOutput.Format) {
        self.template = template
        self.output = output
    }

    /// The longest prompt passed as an argument; Linux refuses a single argument over 128 KiB
    /// (`Argument list too long`), so a longer one goes on standard input.
    public static let longestPromptArgument = 100_000

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
        let program = URL(fileURLWithPath: words[0]).lastPathComponent
        return Agent(template: words, output: program.contains("claude") ? .claudeJSON : .text)
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
        guard let resolved = ([program] + otherPrograms).lazy.compactMap({ Executable.find($0, searchPath: searchPath) }).first else {
            throw AgentError.notFound(program)
        }
        var arguments: [String] = []
        for (index, word) in template.enumerated().dropFirst() {
            let next = template.indices.contains(index + 1) ? template[index + 1] : nil
            if Self.promptGoesOnStandardInput(prompt) {
                if word != "{prompt}" && word.contains("{prompt}") {
                    throw AgentError.promptTooLong(prompt.utf8.count, template.joined(separator: " "))
                }
                if word == promptOption && next == "{prompt}" { continue }
                // An option of a template that takes the prompt as its value cannot be left without one.
                if word == "{prompt}", promptOption == nil, standardInputPrompt.isEmpty, template[index - 1].hasPrefix("-") {
                    throw AgentError.promptTooLong(prompt.utf8.count, template.joined(separator: " "))
                }
                arguments += word == "{prompt}" ? standardInputPrompt : [word]
            } else if word == "{prompt}" {
                // A prompt that starts with a dash is not taken for an option.
                if prompt.hasPrefix("-") && output != .text && template[index - 1] != promptOption { arguments.append("--") }
                arguments.append(prompt)
            } else {
                arguments.append(word.replacing("{prompt}", with: prompt))
            }
        }
        return [resolved] + arguments
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
    case cannotResume(String)

    public var description: String {
        switch self {
        case .unknownPreset(let name):
            return "unknown agent preset '\(name)' (presets: \(Agent.presetNames.joined(separator: ", "))); for another tool pass --agent-cmd 'tool --flag {prompt}'"
        case .badTemplate(let text, let why):
            return "agent command template '\(text)' cannot be used: \(why)"
        case .cannotResume(let program):
            return "conductor can continue the sessions of claude, cursor and codex (and templates that print Claude Code's result object); '\(program)' is not one"
        case .promptTooLong(let bytes, let template):
            return "the prompt is \(bytes) bytes, too long for a command-line argument, and the agent command '\(template)' has no argument of its own for it to leave out; use a template whose prompt is a whole argument ({prompt}), so that a long prompt goes on standard input"
        case .notFound(let program):
            return program == "claude"
                ? "the agent 'claude' is not installed (not found in PATH); install Claude Code (npm install -g @anthropic-ai/claude-code) or pass --agent-cmd"
                : "the agent program '\(program)' was not found (not in PATH and not an executable file)"
        }
    }
}
