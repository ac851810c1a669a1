/// One unit of work from a tasks file: a prompt for the agent or a shell command.
public struct TaskSpec: Sendable, Equatable {
    /// What a task runs: a prompt for the agent or a shell command, so a task is always exactly one.
    public enum Kind: Sendable, Equatable {
        /// A prompt for the agent.
        case prompt(String)
        /// A shell command, run with `/bin/sh -c`.
        case command(String)
    }

    /// Unique within the file; used in branch names, file names and commit trailers.
    public var id: String
    /// The prompt or the command the task runs.
    public var kind: Kind
    /// The repository the task works on (relative to the tasks file), for batches.
    public var repo: String?
    /// The directory to run in, overriding the worker's own. In a batch it is relative to the
    /// task's worktree (to its repository without `--worktrees`) and may not lead out of it.
    public var cwd: String?
    /// Seconds before the task is ended (SIGTERM to its process group, then SIGKILL).
    public var timeout: Double?
    /// When this task does not succeed, the run stops: in a sequential run the tasks after it are
    /// skipped; in a parallel one no new task starts and those not started are skipped.
    public var stopOnError: Bool?
    /// The agent for this prompt, overriding the batch's: a preset name (`codex`) or a command
    /// template (`tool --flag {prompt}`). One batch can so compare agents on the same prompt.
    public var agent: String?

    public init(id: String, kind: Kind, repo: String? = nil, cwd: String? = nil, timeout: Double? = nil,
                stopOnError: Bool? = nil, agent: String? = nil) {
        self.id = id
        self.kind = kind
        self.repo = repo
        self.cwd = cwd
        self.timeout = timeout
        self.stopOnError = stopOnError
        self.agent = agent
    }

    /// A task running `command` in the shell.
    public static func command(_ command: String, id: String) -> TaskSpec {
        TaskSpec(id: id, kind: .command(command))
    }

    /// A task handing `prompt` to the agent.
    public static func prompt(_ prompt: String, id: String) -> TaskSpec {
        TaskSpec(id: id, kind: .prompt(prompt))
    }

    /// The prompt of a prompt task; nil for a command.
    public var prompt: String? {
        if case .prompt(let prompt) = kind { prompt } else { nil }
    }

    /// The command of a command task; nil for a prompt.
    public var command: String? {
        if case .command(let command) = kind { command } else { nil }
    }

    /// The prompt or command, as one line for tables and job logs.
    public var summary: String {
        switch kind {
        case .prompt(let text), .command(let text): text.split(whereSeparator: \.isNewline).joined(separator: " ")
        }
    }

    /// True when `id` can be used in a branch name and a file name: letters, digits, `.`, `_`,
    /// `-`, starting with a letter or digit, at most 64 characters, no `..`, not ending in `.lock`.
    public static func isUsableID(_ id: String) -> Bool {
        guard let first = id.unicodeScalars.first, id.count <= 64, !id.contains(".."), !id.hasSuffix(".lock"),
              first.properties.isASCIIHexDigit || ("a"..."z").contains(first) || ("A"..."Z").contains(first) else { return false }
        return id.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || "._-".unicodeScalars.contains(scalar))
        }
    }
}
