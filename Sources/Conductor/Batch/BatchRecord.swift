import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif
import Queue

/// `batch.json`: what a batch is, so `report`, `merge`, `prune` and `--resume` can find its
/// repositories, branches and worktrees long after it ran.
public struct BatchRecord: Codable, Sendable, Equatable {
    public var name: String
    public var createdAt: Date
    /// The batch directory, `<dir>/<name>`.
    public var directory: String
    /// The tasks file the batch was started with (a copy is `tasks.json` in the batch directory).
    public var tasksFile: String
    public var workers: Int
    /// True when every worker has its own worktree per repository.
    public var worktrees: Bool
    public var sequential: Bool
    public var repos: [BatchRepository]
    /// The agent the workers were started with (`agent` in `batch.json`).
    public var agent: AgentChoice
    /// Run once in each new worktree before its first task.
    public var setup: String?
    /// True for a session `conductor launch` made (absent in a batch's record).
    public var session: Bool?
    /// True for a `--pool` batch: its worktrees come from each repository's pool (see
    /// `BatchRepository.pool`) and go back there at prune.
    public var pooled: Bool?
    /// For a batch run on a shared queue: the queue, the remote and the workers' branches
    /// (absent in a local batch's record).
    public var remote: RemoteBatchRecord?

    /// True when `conductor launch` made this record.
    public var isSession: Bool { session == true }

    public init(name: String, createdAt: Date, directory: String, tasksFile: String, workers: Int, worktrees: Bool,
                sequential: Bool, repos: [BatchRepository], agent: AgentChoice = AgentChoice(), setup: String?) {
        self.name = name
        self.createdAt = createdAt
        self.directory = directory
        self.tasksFile = tasksFile
        self.workers = workers
        self.worktrees = worktrees
        self.sequential = sequential
        self.repos = repos
        self.agent = agent
        self.setup = setup
    }

    private enum CodingKeys: String, CodingKey {
        case name, createdAt, directory, tasksFile, workers, worktrees, sequential, repos, agent, setup, session, pooled, remote
    }

    /// The key earlier versions stored the agent under, as `conductor worker` arguments.
    private enum LegacyCodingKeys: String, CodingKey {
        case agentArguments
    }

    /// Written out (not synthesized) for the record of an earlier version, which has
    /// `agentArguments` instead of `agent`: a new field must be decoded here too.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        createdAt = try container.decode(Date.self, forKey: .createdAt)
        directory = try container.decode(String.self, forKey: .directory)
        tasksFile = try container.decode(String.self, forKey: .tasksFile)
        workers = try container.decode(Int.self, forKey: .workers)
        worktrees = try container.decode(Bool.self, forKey: .worktrees)
        sequential = try container.decode(Bool.self, forKey: .sequential)
        repos = try container.decode([BatchRepository].self, forKey: .repos)
        let legacy = try decoder.container(keyedBy: LegacyCodingKeys.self)
        if !container.contains(.agent), let arguments = try legacy.decodeIfPresent([String].self, forKey: .agentArguments) {
            agent = AgentChoice(workerArguments: arguments)
        } else {
            agent = try container.decode(AgentChoice.self, forKey: .agent)
        }
        setup = try container.decodeIfPresent(String.self, forKey: .setup)
        session = try container.decodeIfPresent(Bool.self, forKey: .session)
        pooled = try container.decodeIfPresent(Bool.self, forKey: .pooled)
        remote = try container.decodeIfPresent(RemoteBatchRecord.self, forKey: .remote)
    }

    /// The branch of worker `worker`: `conductor/<name>/w<worker>` (the same in every repository);
    /// in a remote batch, the branch of its `worker`-th named worker (`conductor/<name>/hostA-0`).
    /// Its last part is the worker's label (see `WorkerNaming`).
    public func branch(worker: Int) -> String {
        "conductor/\(name)/" + workerLabel(worker)
    }

    /// How worker `worker` commits what `task` changed: subject `<id>: <prompt or command>` (cut at
    /// 60 characters), the full text as the body when the subject does not hold it, and trailers
    /// naming the batch, the task and the worker.
    public func commitRequest(for task: TaskSpec, worker: Int) -> CommitRequest {
        Self.commitRequest(for: task, batch: name, worker: String(worker))
    }

    /// The commit request of `task` in batch `batch` by worker `worker` (a slot number, or a
    /// remote worker's name), as `commitRequest(for:worker:)` describes.
    static func commitRequest(for task: TaskSpec, batch: String, worker: String) -> CommitRequest {
        let summary = task.summary
        let subject = "\(task.id): " + (summary.count > 60 ? summary.prefix(57) + "…" : Substring(summary))
        let body = task.prompt ?? task.command ?? ""
        return CommitRequest(
            message: body.count > summary.count || summary.count > 60 ? "\(subject)\n\n\(body)" : subject,
            trailers: [["Conductor-Batch", batch], ["Conductor-Task", task.id], ["Conductor-Worker", worker]])
    }

    /// The integration branch `conductor merge` builds.
    public var mergedBranch: String { "conductor/\(name)/merged" }

    /// The admin name of worker `worker`'s worktree of `repo` (one path component, unique in the
    /// repository): `conductor-<name>-w<worker>`, or its pool entry's (`conductor-pool-<tag>-p<n>`).
    public func worktreeName(_ repo: BatchRepository, worker: Int) -> String {
        pooledEntry(repo, worker: worker).map { WorktreePool.worktreeName($0, tag: repo.poolTag) } ?? "conductor-\(name)-w\(worker)"
    }

    /// Where worker `worker` works in `repo`: `<batch dir>/<repo name>/w<worker>`, or its pool
    /// entry's directory in a `--pool` batch.
    public func worktreePath(_ repo: BatchRepository, worker: Int) -> String {
        if let entry = pooledEntry(repo, worker: worker) { return pool(of: repo).path(of: entry) }
        return "\(directory)/\(repo.name)/w\(worker)"
    }

    /// The worktree pool of `repo`, in this batch's store.
    package func pool(of repo: BatchRepository) -> WorktreePool {
        WorktreePool(store: Path.parent(directory), repository: repo.path)
    }

    /// The pool entry worker `worker` holds in `repo`, in a `--pool` batch.
    func pooledEntry(_ repo: BatchRepository, worker: Int) -> String? {
        repo.pool.flatMap { $0.indices.contains(worker) ? $0[worker] : nil }
    }

    public var queue: QueueRoot { QueueRoot(path: "\(directory)/queue") }
    public var journalFile: String { "\(directory)/journal.jsonl" }
    public var resultsFile: String { "\(directory)/results.jsonl" }
    public var reportJSONFile: String { "\(directory)/report.json" }
    public var reportMarkdownFile: String { "\(directory)/report.md" }
    public var reportHTMLFile: String { "\(directory)/report.html" }
    public var tasksCopy: String { "\(directory)/tasks.json" }
    public static let fileName = "batch.json"
}

/// One repository a batch works on.
public struct BatchRepository: Codable, Sendable, Equatable {
    /// The main checkout's working directory (absolute).
    public var path: String
    /// The directory name used under the batch directory (the repository's folder name, made unique).
    public var name: String
    /// The base branch.
    public var base: String
    /// The base branch's commit when the batch started.
    public var baseCommit: String
    /// In a `--pool` batch, the pool entry (`p<n>`) each worker's worktree is, by worker.
    public var pool: [String]?
    /// In a `--pool` batch, the tag of the pool's worktree names (nil for a pool made before pools
    /// had one; see `WorktreePool.worktreeName`).
    public var poolTag: String?

    public init(path: String, name: String, base: String, baseCommit: String) {
        self.path = path
        self.name = name
        self.base = base
        self.baseCommit = baseCommit
    }
}
