import FoundationEssentials
import Queue

/// One task's work in one repository of a batch: what changed from the parent of its first
/// commit to its last (an agent may have committed several times; conductor's commit comes last).
public struct TaskWork: Sendable, Equatable {
    public var task: String
    /// The worker that ran it; nil when unknown.
    public var worker: Int?
    public var status: ResultStatus
    /// Its commits, oldest first.
    public var commits: [ObjectID]
    /// The parent of its first commit: what its change is made against.
    public var from: ObjectID
    /// The paths its change touches (both names of a rename).
    public var paths: Set<String>

    /// Its last commit.
    public var to: ObjectID { commits[commits.count - 1] }

    /// The work of every task in `results` with commits that `repository` holds, in the order of
    /// `results`; for a task listed more than once (a follow-up), its last line, which lists all
    /// of its commits.
    ///
    /// - Throws: `GitError` when a commit cannot be read.
    public static func read(in repository: Repository, results: [TaskResult]) throws -> [TaskWork] {
        var last: [String: TaskResult] = [:]
        for result in results { last[result.task.id] = result }
        var seen = Set<String>()
        return try results.compactMap { listed -> TaskWork? in
            guard seen.insert(listed.task.id).inserted, let result = last[listed.task.id] else { return nil }
            let hexes = result.result.commits ?? result.result.commit.map { [$0] } ?? []
            guard !hexes.isEmpty else { return nil }
            let commits = try hexes.map { try ObjectID(hex: $0) }
            guard let first = try? repository.commitInfo(commits[0]) else { return nil }
            guard let from = first.parents.first else { return nil }
            let files = try repository.diff(from: from, to: commits[commits.count - 1]).files
            return TaskWork(task: result.task.id, worker: result.worker, status: result.result.status, commits: commits, from: from,
                            paths: Set(files.flatMap { [$0.path] + ($0.oldPath.map { [$0] } ?? []) }))
        }
    }

    /// True when this change and `other` touch a common path, or one touches a directory the
    /// other touches a path under: the only way two changes of the same tree can conflict.
    func overlaps(_ other: TaskWork) -> Bool {
        TaskConflicts.overlapping(paths, other.paths)
    }
}

/// Two tasks whose changes cannot both be applied, and where. `a` comes before `b` in the results.
public struct TaskConflict: Codable, Sendable, Equatable {
    public var a: String
    public var b: String
    public var paths: [String]
}

/// Finds which tasks' changes conflict with which, in memory: no checkout, index or ref is touched.
public enum TaskConflicts {
    /// Every pair of tasks, run by different workers in the same repository, whose changes cannot
    /// both be applied: `b`'s change applied onto `a`'s last commit conflicts in a path both change.
    /// Tasks of the same worker never conflict (each was made on top of the ones before).
    ///
    /// - Throws: `GitError` when a repository or a task's commit cannot be read.
    public static func find(for batch: BatchRecord, results: [TaskResult]) throws -> [TaskConflict] {
        try batch.repos.flatMap { repo -> [TaskConflict] in
            let repository = try Repository.open(at: repo.path)
            return try find(in: repository, work: try TaskWork.read(in: repository, results: results))
        }
    }

    /// The conflicting pairs among `work`, all in `repository`.
    public static func find(in repository: Repository, work: [TaskWork]) throws -> [TaskConflict] {
        var conflicts: [TaskConflict] = []
        for i in work.indices {
            for j in work.indices where j > i && work[i].worker != work[j].worker && work[i].overlaps(work[j]) {
                let paths = try conflictingPaths(work[j], onto: work[i].to, in: repository)
                    .filter { overlapping([$0], work[i].paths) && overlapping([$0], work[j].paths) }
                if !paths.isEmpty { conflicts.append(TaskConflict(a: work[i].task, b: work[j].task, paths: paths)) }
            }
        }
        return conflicts
    }

    /// For each task with conflicts, the other tasks it conflicts with, in the order found.
    public static func conflictsWith(_ conflicts: [TaskConflict]) -> [String: [String]] {
        var byTask: [String: [String]] = [:]
        for conflict in conflicts {
            byTask[conflict.a, default: []].append(conflict.b)
            byTask[conflict.b, default: []].append(conflict.a)
        }
        return byTask
    }

    /// The paths where `work`'s change conflicts when applied onto `commit`; empty when it applies.
    static func conflictingPaths(_ work: TaskWork, onto commit: ObjectID, in repository: Repository) throws -> [String] {
        if case .conflicts(let paths) = try repository.applyChange(from: work.from, to: work.to, onto: commit) { return paths }
        return []
    }

    /// True when a path of `one` is a path of `other`, or a directory above one of them.
    static func overlapping(_ one: Set<String>, _ other: Set<String>) -> Bool {
        !one.isDisjoint(with: other) || one.contains { path in other.contains { $0.hasPrefix(path + "/") || path.hasPrefix($0 + "/") } }
    }
}
