import FoundationEssentials
import Queue

/// One task's work in one repository of a batch: what its commits changed (an agent may have
/// committed several times; conductor's commit comes last). Commits next to each other on the
/// branch make one range, parent of the first to the last; a follow-up committed after other tasks
/// ran on the same worker starts another, so the others' changes are not the task's.
package struct TaskWork: Sendable, Equatable {
    package var task: String
    /// The worker that ran it; nil when unknown.
    package var worker: Int?
    package var status: ResultStatus
    /// Its commits, oldest first.
    package var commits: [ObjectID]
    /// Its change, as ranges of consecutive commits, oldest first.
    package var ranges: [CommitRange]
    /// The paths its change touches (both names of a rename).
    package var paths: Set<String>

    /// Consecutive commits of a task: the change from `from` (the parent of the first) to `to` (the last).
    package struct CommitRange: Sendable, Equatable {
        package var from: ObjectID
        package var to: ObjectID
    }

    /// Its last commit.
    package var last: ObjectID { commits[commits.count - 1] }

    /// The work of every task in `results` with commits that `repository` holds, in the order of
    /// `results`; for a task listed more than once (a follow-up), its last line, which lists all
    /// of its commits.
    ///
    /// - Throws: `GitError` when a commit cannot be read.
    package static func read(in repository: Repository, results: [TaskResult]) throws -> [TaskWork] {
        try read(in: repository, results: results, memo: ReportMemo())
    }

    /// `read(in:results:)`, with the paths of a range whose diff `memo` holds taken from it.
    static func read(in repository: Repository, results: [TaskResult], memo: ReportMemo) throws -> [TaskWork] {
        var last: [String: TaskResult] = [:]
        for result in results { last[result.task.id] = result }
        var seen = Set<String>()
        return try results.compactMap { listed -> TaskWork? in
            guard seen.insert(listed.task.id).inserted, let result = last[listed.task.id] else { return nil }
            let hexes = result.result.commits ?? result.result.commit.map { [$0] } ?? []
            let commits = try hexes.map { try ObjectID(hex: $0) }
            guard !commits.isEmpty, (try? repository.commitInfo(commits[0])) != nil else { return nil }
            var ranges: [CommitRange] = []
            for commit in commits {
                guard let parent = try repository.commitInfo(commit).parents.first else { return nil }
                if ranges.last?.to == parent { ranges[ranges.count - 1].to = commit } else { ranges.append(CommitRange(from: parent, to: commit)) }
            }
            let paths = try ranges.reduce(into: Set<String>()) { paths, range in
                paths.formUnion(try memo.changedPaths(from: range.from, to: range.to, in: repository))
            }
            return TaskWork(task: result.task.id, worker: result.worker, status: result.result.status, commits: commits, ranges: ranges,
                            paths: paths)
        }
    }

    /// Applies its change onto `commit` in memory, range after range.
    ///
    /// - Throws: `GitError` when a commit cannot be read.
    package func apply(onto commit: ObjectID, in repository: Repository) throws -> ChangeApplication {
        var tree = try repository.treeID(of: commit)
        for range in ranges {
            switch try repository.applyChange(from: range.from, to: range.to, ontoTree: tree) {
            case .clean(let next): tree = next
            case .conflicts(let paths): return .conflicts(paths)
            }
        }
        return .clean(tree: tree)
    }

    /// True when this change and `other` touch a common path, or one touches a directory the
    /// other touches a path under: the only way two changes of the same tree can conflict.
    func overlaps(_ other: TaskWork) -> Bool {
        TaskConflicts.overlapping(paths, other.paths)
    }
}

/// Two tasks whose changes cannot both be applied, and where. `a` comes before `b` in the results.
package struct TaskConflict: Codable, Sendable, Equatable {
    package var a: String
    package var b: String
    package var paths: [String]
}

/// Finds which tasks' changes conflict with which, in memory: no checkout, index or ref is touched.
package enum TaskConflicts {
    /// Every pair of tasks, run by different workers in the same repository, whose changes cannot
    /// both be applied: `b`'s change applied onto `a`'s last commit conflicts in a path both change.
    /// Tasks of the same worker never conflict (each was made on top of the ones before).
    ///
    /// - Throws: `GitError` when a repository or a task's commit cannot be read.
    package static func find(for batch: BatchRecord, results: [TaskResult]) throws -> [TaskConflict] {
        try find(for: batch, results: results, memo: ReportMemo())
    }

    /// `find(for:results:)`, reusing the diffs and merges `memo` holds.
    static func find(for batch: BatchRecord, results: [TaskResult], memo: ReportMemo) throws -> [TaskConflict] {
        try batch.repos.map { try Repository.open(at: $0.path) }.flatMap { repository in
            try find(in: repository, work: try TaskWork.read(in: repository, results: results, memo: memo), memo: memo)
        }
    }

    /// The conflicting pairs among `work`, all in `repository`.
    package static func find(in repository: Repository, work: [TaskWork], memo: ReportMemo = ReportMemo()) throws -> [TaskConflict] {
        var conflicts: [TaskConflict] = []
        for i in work.indices {
            for j in work.indices where j > i && work[i].worker != work[j].worker && work[i].overlaps(work[j]) {
                let found: [String]
                if work[j].ranges.count == 1, let range = work[j].ranges.first {
                    found = try memo.conflicts(applying: range.from, to: range.to, onto: work[i].last, in: repository)
                } else {
                    guard case .conflicts(let paths) = try work[j].apply(onto: work[i].last, in: repository) else { continue }
                    found = paths
                }
                let paths = found.filter { overlapping([$0], work[i].paths) && overlapping([$0], work[j].paths) }
                if !paths.isEmpty { conflicts.append(TaskConflict(a: work[i].task, b: work[j].task, paths: paths)) }
            }
        }
        return conflicts
    }

    /// For each task with conflicts, the other tasks it conflicts with, in the order found.
    package static func conflictsWith(_ conflicts: [TaskConflict]) -> [String: [String]] {
        var byTask: [String: [String]] = [:]
        for conflict in conflicts {
            byTask[conflict.a, default: []].append(conflict.b)
            byTask[conflict.b, default: []].append(conflict.a)
        }
        return byTask
    }

    /// True when a path of `one` is a path of `other`, or a directory above one of them.
    package static func overlapping(_ one: Set<String>, _ other: Set<String>) -> Bool {
        !one.isDisjoint(with: other)
            || one.contains { parentDirectories(of: $0).contains(where: other.contains) }
            || other.contains { parentDirectories(of: $0).contains(where: one.contains) }
    }

    /// The directories above `path`: `a/b/c.txt` → `a`, `a/b`.
    package static func parentDirectories(of path: String) -> [String] {
        path.utf8.indices.filter { path.utf8[$0] == UInt8(ascii: "/") }.map { String(path[..<$0]) }
    }
}
