import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

/// A tasks file: an object with `tasks` and batch-wide settings, or a bare array of tasks (the seed's
/// `[{"prompt": …}]`).
public struct TasksFile: Sendable, Equatable {
    /// Where the file was read from (`-` for standard input).
    public var path: String
    /// The repository the tasks work on, relative to the file (batches).
    public var repo: String?
    /// The branch worktrees start from (batches).
    public var base: String?
    /// How many workers to use when the command line does not say.
    public var workers: Int?
    /// The agent preset (`claude`) or command template for prompts.
    public var agent: String?
    /// A shell command run once in each new worktree before its first task (batches).
    public var setup: String?
    public var tasks: [TaskSpec]

    public init(path: String, repo: String? = nil, base: String? = nil, workers: Int? = nil, agent: String? = nil,
                setup: String? = nil, tasks: [TaskSpec]) {
        self.path = path
        self.repo = repo
        self.base = base
        self.workers = workers
        self.agent = agent
        self.setup = setup
        self.tasks = tasks
    }

    /// The largest tasks file accepted.
    public static let maximumSize = 16 << 20

    /// Reads and checks a tasks file (`-` reads standard input).
    ///
    /// - Throws: `TasksFileError` listing every problem found, one per line, each naming the file,
    ///   the task and the field.
    public static func load(_ path: String) throws -> TasksFile {
        try parse(try read(path), path: path)
    }

    /// The bytes of a tasks file (`-` reads standard input), refusing what cannot be one.
    public static func read(_ path: String) throws -> Data {
        if path == "-" { return RawFile.readAll(STDIN_FILENO) ?? Data() }
        guard FileManager.default.fileExists(atPath: path) else {
            throw TasksFileError(path: path, problems: ["the file does not exist"])
        }
        guard !Path.isDirectory(path) else { throw TasksFileError(path: path, problems: ["is a directory, not a tasks file"]) }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size <= maximumSize else {
            throw TasksFileError(path: path, problems: ["is \(size) bytes; a tasks file may be at most \(maximumSize >> 20) MiB"])
        }
        guard let contents = FileManager.default.contents(atPath: path) else {
            throw TasksFileError(path: path, problems: ["cannot be read (check its permissions)"])
        }
        return contents
    }

    /// Checks the JSON of a tasks file.
    public static func parse(_ data: Data, path: String) throws -> TasksFile {
        guard data.count <= maximumSize else {
            throw TasksFileError(path: path, problems: ["is \(data.count) bytes; a tasks file may be at most \(maximumSize >> 20) MiB"])
        }
        guard !data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else {
            throw TasksFileError(path: path, problems: ["is empty; write a JSON object with a \"tasks\" array, e.g. {\"tasks\": [{\"prompt\": \"…\"}]}"])
        }
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw TasksFileError(path: path, problems: ["is not valid JSON: \(Self.describeSyntaxError(error))"])
        }
        var checker = TasksFileChecker(path: path)
        let file = checker.check(root)
        guard checker.problems.isEmpty, let file else { throw TasksFileError(path: path, problems: checker.problems) }
        return file
    }

    private static func describeSyntaxError(_ error: Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            return context.underlyingError.map { "\($0)" } ?? context.debugDescription
        }
        return "\(error)"
    }
}

/// Every problem found in a tasks file; nothing was run or written.
public struct TasksFileError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let problems: [String]

    public init(path: String, problems: [String]) {
        self.path = path
        self.problems = problems
    }

    public var description: String {
        problems.map { "\(path): \($0)" }.joined(separator: "\n")
    }
}
