import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif
import Git
import Queue

/// The directory that holds batches (`-d/--dir`, default `~/conductor-work`).
public struct BatchStore: Sendable {
    public let path: String

    public init(path: String) {
        self.path = Path.absolute(path)
    }

    /// `explicit` (`-d`), else `$CONDUCTOR_DIR`, else `~/conductor-work`.
    /// A `~` the shell did not expand (quoted, or in the variable) means `$HOME`, as the default does.
    public static func resolve(_ explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> BatchStore {
        let expanded = { (path: String) in Path.expandingTilde(path, home: Path.home(environment: environment)) }
        if let explicit, !explicit.isEmpty { return BatchStore(path: expanded(explicit)) }
        if let variable = environment["CONDUCTOR_DIR"], !variable.isEmpty { return BatchStore(path: expanded(variable)) }
        return BatchStore(path: "\(Path.home(environment: environment))/conductor-work")
    }

    /// The names of the batches and sessions in the store, in name order.
    public func batchNames() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: "\(path)/\($0)/\(BatchRecord.fileName)") }.sorted()
    }

    /// Every batch and session whose `batch.json` reads, newest first (by when it was made).
    public func records() -> [BatchRecord] {
        batchNames().compactMap { try? AtomicFile.readJSON(BatchRecord.self, from: "\(path)/\($0)/\(BatchRecord.fileName)") }
            .sorted { ($0.createdAt, $0.name) > ($1.createdAt, $1.name) }
    }

    /// True when `name` can name a batch or session: letters, digits, `.`, `_`, `-`, and a valid
    /// part of a branch name (so never `.` or `..`, which would also leave the directory).
    public static func isValidName(_ name: String) -> Bool {
        TaskSpec.isUsableID(name) && Repository.isValidBranchName("conductor/\(name)/w0")
    }

    /// The batch called `name`.
    ///
    /// - Throws: `BatchError.invalidName` for a name no batch can have, `BatchError.notFound`
    ///   naming the batches that exist.
    public func load(_ name: String) throws -> BatchRecord {
        guard Self.isValidName(name) else { throw BatchError.invalidName(name) }
        guard let record = try AtomicFile.readJSON(BatchRecord.self, from: "\(path)/\(name)/\(BatchRecord.fileName)") else {
            throw BatchError.notFound(name: name, store: path, known: batchNames())
        }
        return record
    }

    /// What a command means to do with the batch it is given or has to pick.
    public enum Intent: Sendable {
        /// Only looks (`report`): without a name, the newest batch of the current repository.
        case inspect
        /// Changes or deletes something (`merge`, `prune`, `--resume`): without a name, only a
        /// batch that is the one candidate for the current repository.
        case change
    }

    /// The batch `name`, or without a name the one a command run in `directory` means.
    ///
    /// Without a name the candidates are the batches that work on the repository containing
    /// `directory` (every batch when `directory` is in none): a command never picks a batch of
    /// another repository. To inspect, the newest candidate is taken; to change, the candidate
    /// must be the only one, else the candidates are listed and a name is asked for.
    ///
    /// - Throws: `BatchError.noBatches`, `.notFound`, `.noneForRepository` or `.ambiguous`.
    public func choose(_ name: String?, in directory: String = FileManager.default.currentDirectoryPath,
                       for intent: Intent) throws -> BatchRecord {
        if let name { return try load(name) }
        let all = records()
        guard !all.isEmpty else { throw BatchError.noBatches(path) }
        let repository = Self.repositoryRoot(containing: directory)
        let candidates = repository.map { roots in all.filter { $0.repos.contains { roots.contains(Path.real($0.path)) } } } ?? all
        guard let newest = candidates.first else {
            throw BatchError.noneForRepository(repository?.first ?? directory, store: path, others: all.map(\.name))
        }
        if intent == .change && candidates.count > 1 {
            throw BatchError.ambiguous(store: path, repository: repository?.first, candidates: candidates.map(\.name))
        }
        return newest
    }

    /// The real paths that name the repository containing `directory`: its main checkout first,
    /// then the linked worktree `directory` is in, if it is in one. Nil outside any repository.
    private static func repositoryRoot(containing directory: String) -> [String]? {
        guard let repository = try? Repository.open(at: directory) else { return nil }
        let main = Path.real(Path.parent(repository.commonDirectory))
        return [main, Path.real(repository.workingDirectory)]
    }

    /// Why this store cannot hold batches or sessions of the repository at `repository`: it lies
    /// inside it, where worktrees and queue files would show up as the user's changes (and a
    /// task that breaks its worktree's `.git` would reach the user's repository). Nil when fine.
    public func placementProblem(forRepository repository: String) -> String? {
        guard Path.isInside(path, repository) else { return nil }
        return "-d: the directory \(path) is inside the repository \(repository), which conductor would work on; "
            + "its worktrees and queue files would show up as changes there. Put it outside, e.g. -d \(Path.parent(repository))/conductor-work"
    }

    /// Saves `batch.json` atomically and durably (a batch must be found again after a crash).
    public func save(_ record: BatchRecord) throws {
        try AtomicFile.writeJSON(record, to: "\(record.directory)/\(BatchRecord.fileName)", durable: true)
    }

    /// A new batch name: the UTC time, short and sortable (`20261125-101502`), made unique.
    public func newName(now: Date = Date()) -> String {
        var seconds = time_t(now.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let two = { (value: Int32) in Format.zeroPadded(Int(value), width: 2) }
        let stem = Format.zeroPadded(Int(parts.tm_year) + 1900, width: 4) + two(parts.tm_mon + 1) + two(parts.tm_mday)
            + "-" + two(parts.tm_hour) + two(parts.tm_min) + two(parts.tm_sec)
        var name = stem
        var suffix = 2
        while FileManager.default.fileExists(atPath: "\(path)/\(name)") {
            name = "\(stem)-\(suffix)"
            suffix += 1
        }
        return name
    }
}

/// Batch failures worded for the user.
public enum BatchError: Error, CustomStringConvertible {
    case noBatches(String)
    case notFound(name: String, store: String, known: [String])
    case noneForRepository(String, store: String, others: [String])
    case ambiguous(store: String, repository: String?, candidates: [String])
    case invalidName(String)
    case exists(String)
    case running(name: String, pid: Int32)
    case resumeMismatch(String)

    public var description: String {
        switch self {
        case .noBatches(let store):
            return "there are no batches in \(store); run one with conductor batch TASKS_FILE (or pass -d DIR)"
        case .notFound(let name, let store, let known):
            return "no batch '\(name)' in \(store)" + (known.isEmpty ? "" : " (batches: \(known.suffix(10).joined(separator: ", ")))")
        case .noneForRepository(let repository, let store, let others):
            return "no batch in \(store) works on \(repository); name one (batches: \(others.prefix(10).joined(separator: ", ")))"
        case .ambiguous(let store, let repository, let candidates):
            let scope = repository.map { " for \($0)" } ?? ""
            return "\(candidates.count) batches in \(store)\(scope), newest first: \(candidates.prefix(10).joined(separator: ", ")); "
                + "name the one you mean (conductor list shows them all)"
        case .invalidName(let name):
            return "'\(name)' cannot be a batch name: use letters, digits, '.', '_' and '-' (it becomes part of branch names)"
        case .exists(let path):
            return "the batch directory \(path) already exists; pick another --name, or add --resume to continue it"
        case .running(let name, let pid):
            return "batch '\(name)' is running (pid \(pid)); wait for it or stop it first"
        case .resumeMismatch(let why):
            return "cannot resume: \(why)"
        }
    }
}
