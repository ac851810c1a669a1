import FoundationEssentials
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import FoundationShims
import Git
import Queue

/// What a batch will do, checked completely before anything is written: the tasks, the
/// repository and base of each, the batch's name and directory.
public struct BatchPlan: Sendable {
    public var record: BatchRecord
    public var tasks: [TaskSpec]
    /// For each task (by index), the index of its repository in `record.repos`.
    public var repoOfTask: [Int]
    /// Warnings worth printing before the batch starts (several agents in one checkout, say).
    public var warnings: [String]

    /// Everything `conductor batch` takes from its command line.
    public struct Options: Sendable {
        public var store: BatchStore
        public var name: String?
        public var workers: Int?
        public var base: String?
        public var worktrees = false
        /// Take the worktrees from the repository's pool, and park them there at prune (`--pool`).
        public var pool = false
        public var sequential = false
        public var agent: Agent?
        /// The agent the workers use (stored in the record).
        public var agentChoice = AgentChoice()
        /// Where relative paths start when the tasks file is read from standard input.
        public var currentDirectory = FileManager.default.currentDirectoryPath
        public var environment = ProcessInfo.processInfo.environment

        public init(store: BatchStore) {
            self.store = store
        }
    }

    /// The default number of workers, as the seed's launcher had it.
    public static let defaultWorkers = 3

    /// Checks `file` and the repositories it names.
    ///
    /// - Throws: `TasksFileError` with one line per problem (naming the task and the field) when
    ///   anything is wrong; nothing has been written then.
    public static func make(_ file: TasksFile, options: Options) throws -> BatchPlan {
        var problems: [String] = []
        let fileDirectory = file.path == "-" ? options.currentDirectory
            : Path.parent(Path.absolute(file.path, relativeTo: options.currentDirectory))
        let name = options.name ?? options.store.newName()
        if !BatchStore.isValidName(name) {
            problems.append("--name: " + BatchError.invalidName(name).description)
        }
        let workers = options.workers ?? file.workers ?? defaultWorkers
        let directory = "\(options.store.path)/\(name)"

        var repos: [BatchRepository] = []
        var repoOfTask: [Int] = []
        var opened: [String: Int] = [:]
        for (number, task) in file.tasks.enumerated() {
            let label = "task \(number + 1) (id \"\(task.id)\")"
            if let cwd = task.cwd, let problem = cwdProblem(cwd, worktrees: options.worktrees) {
                problems.append("\(label): field \"cwd\" \(problem)")
            }
            let (given, field) = task.repo.map { ($0, "field \"repo\"") } ?? file.repo.map { ($0, "top-level field \"repo\"") } ?? (".", "the current directory")
            let base = given == "." && task.repo == nil && file.repo == nil ? options.currentDirectory : fileDirectory
            let path = Path.absolute(given, relativeTo: base)
            do {
                let repository = try Repository.open(at: path)
                let root = repository.workingDirectory
                if let index = opened[root] {
                    repoOfTask.append(index)
                    continue
                }
                let resolved = try repository.resolveBase(options.base ?? file.base)
                var folder = Path.name(root)
                if repos.contains(where: { $0.name == folder }) { folder += "-\(repos.count + 1)" }
                opened[root] = repos.count
                repoOfTask.append(repos.count)
                repos.append(BatchRepository(path: root, name: folder, base: resolved.branch, baseCommit: resolved.commit.hex))
                for worker in 0..<workers where try repository.branchTip("conductor/\(name)/w\(worker)") != nil {
                    problems.append("\(label): branch conductor/\(name)/w\(worker) already exists in \(root); pick another --name, or, when its batch directory is gone, look at the branch (git -C \(root) log conductor/\(name)/w\(worker)) and delete it (git -C \(root) branch -D conductor/\(name)/w\(worker))")
                }
            } catch let error as GitError {
                let what = task.repo == nil && file.repo == nil ? "the current directory '\(path)'" : "\(field) '\(given)' (\(path))"
                problems.append("\(label): \(what): \(error.message)")
                repoOfTask.append(-1)
            }
        }
        problems += repos.compactMap { options.store.placementProblem(forRepository: $0.path) }
        if let agentProblem = agentProblem(file, options) { problems.append(agentProblem) }
        for (number, task) in file.tasks.enumerated() {
            if let problem = taskAgentProblem(task, environment: options.environment) { problems.append("task \(number + 1) (id \"\(task.id)\"): field \"agent\": \(problem)") }
        }
        if FileManager.default.fileExists(atPath: directory) {
            // A default name another batch took a moment ago: `BatchRun.start` picks the next one.
            if options.name == nil { throw BatchError.exists(directory) }
            problems.append("--name: " + BatchError.exists(directory).description)
        }
        guard problems.isEmpty else { throw TasksFileError(path: file.path, problems: Array(Set(problems)).sorted()) }

        var warnings: [String] = []
        if !options.worktrees && workers > 1 && !options.sequential {
            for repo in repos {
                warnings.append("\(workers) agents will share the checkout \(repo.path) and may trample each other's changes; add --worktrees to give each its own")
            }
        }
        var record = BatchRecord(
            name: name, createdAt: Date(), directory: directory,
            tasksFile: file.path == "-" ? "-" : Path.absolute(file.path, relativeTo: options.currentDirectory),
            workers: options.sequential ? 1 : workers, worktrees: options.worktrees, sequential: options.sequential,
            repos: repos, agent: options.agentChoice, setup: file.setup)
        record.pooled = options.pool && options.worktrees ? true : nil
        return BatchPlan(record: record, tasks: file.tasks, repoOfTask: repoOfTask, warnings: warnings)
    }

    /// The plan of an existing batch, from its own copy of the tasks file, to resume it.
    ///
    /// - Parameter tasksFile: a tasks file the user named; it must hold the same tasks.
    public static func resuming(_ record: BatchRecord, checking tasksFile: String?) throws -> BatchPlan {
        let file = try TasksFile.load(record.tasksCopy)
        if let tasksFile {
            let given = try TasksFile.load(tasksFile)
            guard given.tasks.map(\.id) == file.tasks.map(\.id) else {
                throw BatchError.resumeMismatch("\(tasksFile) does not hold the same tasks as batch \(record.name) (\(record.tasksCopy)); resume without a tasks file to use the batch's own copy")
            }
        }
        let origin = record.tasksFile == "-" ? FileManager.default.currentDirectoryPath : Path.parent(record.tasksFile)
        let repoOfTask = try file.tasks.map { task -> Int in
            guard let given = task.repo ?? file.repo else {
                if record.repos.count == 1 { return 0 }
                throw BatchError.resumeMismatch("task \(task.id) names no repository and batch \(record.name) has several")
            }
            let path = Path.absolute(given, relativeTo: origin)
            let root = try Repository.open(at: path).workingDirectory
            guard let index = record.repos.firstIndex(where: { $0.path == root }) else {
                throw BatchError.resumeMismatch("task \(task.id) names \(root), which is not part of batch \(record.name)")
            }
            return index
        }
        return BatchPlan(record: record, tasks: file.tasks, repoOfTask: repoOfTask, warnings: [])
    }

    /// Why a task's `cwd` cannot be used, or nil: it must be a relative path that stays inside the
    /// task's worktree (its repository without worktrees), e.g. `pkg` or `src/app`.
    static func cwdProblem(_ cwd: String, worktrees: Bool) -> String? {
        let root = worktrees ? "worktree" : "repository"
        if cwd.hasPrefix("/") {
            return "'\(cwd)' is an absolute path; a task runs inside its \(root), so give a path relative to it (e.g. \"pkg\")"
        }
        var depth = 0
        for component in cwd.split(separator: "/") where component != "." {
            depth += component == ".." ? -1 : 1
            if depth < 0 {
                return "'\(cwd)' leads out of the task's \(root); give a directory inside it, relative to its top (e.g. \"pkg\")"
            }
        }
        return nil
    }

    /// A prompt task with no usable agent is bad input, caught before any worktree is made.
    /// Why a task's own agent cannot run its prompt (unknown, unusable or not installed), or nil.
    private static func taskAgentProblem(_ task: TaskSpec, environment: [String: String]) -> String? {
        guard let name = task.agent else { return nil }
        guard task.prompt != nil else { return "only a prompt goes to an agent; this task runs a command" }
        do {
            _ = try Agent.named(name).arguments(for: "probe", searchPath: environment["PATH"])
            return nil
        } catch {
            return "\(error)"
        }
    }

    private static func agentProblem(_ file: TasksFile, _ options: Options) -> String? {
        guard file.tasks.contains(where: { $0.prompt != nil && $0.agent == nil }), let agent = options.agent else { return nil }
        do {
            _ = try agent.arguments(for: "probe", searchPath: options.environment["PATH"])
            return nil
        } catch {
            return "\(error)"
        }
    }
}
