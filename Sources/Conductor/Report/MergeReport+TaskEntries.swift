import FoundationEssentials
import Queue

extension MergeReport {
    /// One entry per task of `batch`: the tasks of its tasks file in their order, then any other
    /// task with a result (a session's submissions). A task's latest result counts (a follow-up
    /// appends an updated one); a task without any result is listed as never run. Each entry's
    /// files are what the task's own commits changed, from the parent of its first commit to its
    /// last, in the repository that holds them; `conflictsWith` names the tasks of other workers
    /// whose changes cannot be applied together with the entry's (see `TaskConflicts`).
    ///
    /// - Throws: `GitError` when a repository of the batch cannot be opened or a commit's diff read.
    public static func taskEntries(for batch: BatchRecord, results: [TaskResult]) throws -> [TaskEntry] {
        try readTasks(of: batch, results: results, memo: ReportMemo()).map(\.entry)
    }

    /// One task's report entry and the unified patch of its commits ("" when it has none, nil
    /// when it was not asked for).
    struct TaskReading: Sendable {
        var entry: TaskEntry
        var patch: String?
    }

    /// The tasks whose patch text a reading makes: making it costs more than the rest of a diff.
    enum TaskPatches: Sendable {
        case none, all
        case only(String)

        func include(_ id: String) -> Bool {
            switch self {
            case .none: false
            case .all: true
            case .only(let task): task == id
            }
        }
    }

    /// The entries `taskEntries(for:results:)` returns, with the patches `patches` names, their
    /// diffs read through `memo`, on as many threads as there are cores.
    static func readTasks(of batch: BatchRecord, results: [TaskResult], memo: ReportMemo, patches: TaskPatches = .none) throws -> [TaskReading] {
        var latest: [String: TaskResult] = [:]
        for result in results { latest[result.task.id] = result }
        var tasks = (try? TasksFile.load(batch.tasksCopy))?.tasks ?? []
        var seen = Set(tasks.map(\.id))
        for result in results where seen.insert(result.task.id).inserted { tasks.append(result.task) }
        let (batchAgent, tasksToRead, latestResults) = (batch.agent.label, tasks, latest)
        let readings = try ParallelReads.map(tasks.count) {
            try batch.repos.map { (name: $0.name, repository: try Repository.open(at: $0.path)) }
        } read: { repositories, index in
            let task = tasksToRead[index]
            return try TaskReading(task: latestResults[task.id]?.task ?? task, result: latestResults[task.id], repositories: repositories,
                                   batchAgent: batchAgent, memo: memo, includePatch: patches.include(task.id))
        }
        // After the diffs, whose paths it then finds in the memo.
        let conflicts = TaskConflicts.conflictsWith(try TaskConflicts.find(for: batch, results: results, memo: memo))
        return readings.map { reading in
            var reading = reading
            reading.entry.conflictsWith = conflicts[reading.entry.id] ?? []
            return reading
        }
    }

    /// The repository (by name) holding `sha`, among the batch's.
    static func repository(holding sha: String, in repositories: [(name: String, repository: Repository)]) -> (name: String, repository: Repository)? {
        repositories.first { (try? $0.repository.resolveCommit(sha)) != nil }
    }
}

extension MergeReport.TaskReading {
    /// The entry of `task`, from its latest `result` (nil when it never ran) and its commits in
    /// whichever of `repositories` holds them, with their patch when `includePatch`.
    init(task: TaskSpec, result: TaskResult?, repositories: [(name: String, repository: Repository)], batchAgent: String,
         memo: ReportMemo, includePatch: Bool) throws {
        let outcome = result?.result
        let commits = outcome.map { $0.commits ?? $0.commit.map { [$0] } ?? [] } ?? []
        let holder = commits.first.flatMap { MergeReport.repository(holding: $0, in: repositories) }
        let diff = try holder.map { holder in
            try memo.diff(ofCommits: ObjectID(hex: commits[0]), through: ObjectID(hex: commits[commits.count - 1]), in: holder.repository,
                          includePatch: includePatch)
        }
        patch = includePatch ? diff?.patch ?? "" : nil
        entry = MergeReport.TaskEntry(
            id: task.id, worker: result?.worker, repo: holder?.name, kind: task.prompt != nil ? "prompt" : "command",
            status: outcome?.status ?? .skipped,
            reason: outcome == nil ? "no result recorded: it has not run (or is still running)" : outcome?.reason,
            answer: outcome?.output ?? "", startedAt: outcome?.startedAt, finishedAt: outcome?.finishedAt,
            durationMs: outcome?.durationMs ?? 0, attempts: outcome?.attempts ?? 0,
            agent: task.prompt == nil ? nil : task.agent.map { AgentChoice.named($0).label } ?? batchAgent,
            costUsd: outcome?.agent?.costUsd, inputTokens: outcome?.agent?.inputTokens, outputTokens: outcome?.agent?.outputTokens,
            commits: commits, files: diff?.files.map(MergeReport.ChangedFile.init) ?? [],
            insertions: diff?.insertions ?? 0, deletions: diff?.deletions ?? 0, conflictsWith: [])
    }
}

extension MergeReport.ChangedFile {
    /// A file of a git diff as the report lists it, its mode change included.
    init(_ change: FileChange) {
        self.init(path: change.path, oldPath: change.oldPath, status: change.status, insertions: change.insertions,
                  deletions: change.deletions, binary: change.isBinary, oldMode: change.oldMode, newMode: change.newMode)
    }
}
