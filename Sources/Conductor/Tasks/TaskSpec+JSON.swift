import FoundationEssentials

extension TaskSpec {
    /// The fields of a task's JSON object (`{"id": …, "prompt": …}`), in the order messages list
    /// them: the coding keys of the decoder and the encoder, and the table the tasks-file checker
    /// walks, so a field is declared once. The checker holds a value to its rule (`value`); the
    /// decoder checks only its JSON type, so every record written before still reads.
    public enum Field: String, CodingKey, CaseIterable, Sendable {
        /// A string usable in branch and file names (see `isUsableID`); required when decoding,
        /// `task-N` (the task's place) when a tasks file leaves it out.
        case id
        /// A non-empty string. A task gives exactly one of `prompt` and `command`.
        case prompt
        /// A non-empty string. A task gives exactly one of `prompt` and `command`.
        case command
        /// Optional, a non-empty string.
        case repo
        /// Optional, a non-empty string.
        case cwd
        /// Optional, a number of seconds greater than 0.
        case timeout
        /// Optional, `true` or `false`.
        case stopOnError
        /// Optional, a non-empty string.
        case agent

        /// What the field's JSON value must be.
        var value: FieldValue {
            switch self {
            case .id: .identifier
            case .prompt, .command, .repo, .cwd, .agent: .text
            case .timeout: .seconds
            case .stopOnError: .flag
            }
        }
    }

    /// What a field's JSON value must be, and the words the tasks-file checker uses when it is not.
    enum FieldValue {
        /// A string usable as a task id.
        case identifier
        /// Any string without a NUL character.
        case string
        /// A string that is not blank and has no NUL character.
        case text
        /// A number of seconds greater than 0.
        case seconds
        /// `true` or `false`.
        case flag

        /// Why `value` cannot be such a value (after the field's name: `must be a string, got
        /// number 5`), or nil when it can.
        func problem(with value: JSONValue) -> String? {
            switch self {
            case .identifier:
                guard case .string(let id) = value, TaskSpec.isUsableID(id) else {
                    return "must be a string of letters, digits, '.', '_' or '-' (starting with a letter or digit, at most 64 characters, no '..'), got \(value.described)"
                }
            case .string, .text:
                guard case .string(let text) = value else { return "must be a string, got \(value.described)" }
                if self == .text && text.trimmed.isEmpty { return "is empty" }
                if text.contains("\u{0}") { return "contains a NUL character" }
            case .seconds:
                guard case .number(let seconds) = value, seconds > 0, seconds.isFinite else {
                    return "must be a number of seconds greater than 0, got \(value.described)"
                }
            case .flag:
                guard case .bool = value else { return "must be true or false, got \(value.described)" }
            }
            return nil
        }
    }

    /// Why a task's JSON names no kind, in the words both the decoder and the tasks-file checker use.
    enum KindError: String, Error, CustomStringConvertible {
        case neither = #"needs a "prompt" (for the agent) or a "command" (for the shell)"#
        case both = #"has both "prompt" and "command"; give exactly one"#

        /// The problem of a task that gives (or not) a `prompt` and a `command` field, whatever
        /// their values; nil when it gives exactly one.
        init?(givesPrompt: Bool, givesCommand: Bool) {
            switch (givesPrompt, givesCommand) {
            case (false, false): self = .neither
            case (true, true): self = .both
            default: return nil
            }
        }

        var description: String { rawValue }
    }
}

extension TaskSpec: Codable {
    /// Decodes `{"id": …, "prompt": …}` or `{"id": …, "command": …}` and the optional fields;
    /// other keys are ignored (the tasks-file checker refuses them).
    ///
    /// - Throws: `DecodingError.dataCorrupted` naming the task when it gives neither or both of
    ///   `prompt` and `command`.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Field.self)
        id = try container.decode(String.self, forKey: .id)
        switch (try container.decodeIfPresent(String.self, forKey: .prompt), try container.decodeIfPresent(String.self, forKey: .command)) {
        case (let prompt?, nil): kind = .prompt(prompt)
        case (nil, let command?): kind = .command(command)
        case (let prompt, _):
            let problem: KindError = prompt == nil ? .neither : .both
            throw DecodingError.dataCorrupted(.init(codingPath: container.codingPath, debugDescription: "task \"\(id)\" \(problem)"))
        }
        repo = try container.decodeIfPresent(String.self, forKey: .repo)
        cwd = try container.decodeIfPresent(String.self, forKey: .cwd)
        timeout = try container.decodeIfPresent(Double.self, forKey: .timeout)
        stopOnError = try container.decodeIfPresent(Bool.self, forKey: .stopOnError)
        agent = try container.decodeIfPresent(String.self, forKey: .agent)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Field.self)
        try container.encode(id, forKey: .id)
        switch kind {
        case .prompt(let prompt): try container.encode(prompt, forKey: .prompt)
        case .command(let command): try container.encode(command, forKey: .command)
        }
        try container.encodeIfPresent(repo, forKey: .repo)
        try container.encodeIfPresent(cwd, forKey: .cwd)
        try container.encodeIfPresent(timeout, forKey: .timeout)
        try container.encodeIfPresent(stopOnError, forKey: .stopOnError)
        try container.encodeIfPresent(agent, forKey: .agent)
    }
}
