import FoundationEssentials
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

extension MergeReport {
    /// Reads every worker branch of `batch` in each of its repositories and compares them with
    /// the base branch as it is now and with each other. Nothing is checked out or written.
    ///
    /// - Parameters:
    ///   - results: the batch's task results (`results.jsonl`), for the totals.
    ///   - withPatches: whether to make each task's patch text now, for `save` (report.html);
    ///     a report only read (by `merge`) needs none, and `save` reads them itself when missing.
    /// - Throws: `GitError` when a repository or its base branch cannot be read, `ReportError`
    ///   when a worker branch shares no history with its base.
    public static func build(for batch: BatchRecord, results: [TaskResult], withPatches: Bool = true) throws -> MergeReport {
        try build(for: batch, results: results, memo: ReportMemo(), withPatches: withPatches)
    }

    /// `build(for:results:withPatches:)`, its reads from git through `memo`.
    static func build(for batch: BatchRecord, results: [TaskResult], memo: ReportMemo, withPatches: Bool = true) throws -> MergeReport {
        var taskOfCommit: [String: String] = [:]
        for result in results {
            for sha in result.result.commits ?? [] { taskOfCommit[sha] = result.task.id }
        }
        // The tasks first: their diffs, read with the patches `save` shows, are the branches' too
        // when a branch holds one task.
        let tasks = try readTasks(of: batch, results: results, memo: memo, patches: withPatches ? .all : .none)
        let reads = try batch.repos.map { try RepoReader(batch: batch, repo: $0, taskOfCommit: taskOfCommit, memo: memo).read() }
        let repos = reads.map(\.repo)
        let ignoredByRepo = Dictionary(reads.map { ($0.repo.path, $0.ignoredPaths) }) { first, _ in first }
        let taskWarnings = results.flatMap { result in
            (result.result.warnings ?? []).map { "task \(result.task.id)" + (result.worker.map { " (\(batch.workerLabel($0)))" } ?? "") + ": \($0)" }
        }
        let branchWarnings = repos.flatMap { repo in
            repo.workers.flatMap { worker in worker.offBranch.map { offBranchWarning($0, of: worker, in: repo, batch: batch) } }
        }
        var report = MergeReport(batch: batch.name, generatedAt: Date(), repos: repos, totals: Totals(results: results, repos: repos),
                                 warnings: taskWarnings + branchWarnings,
                                 unchangedTasks: unchangedTasks(in: batch, results: results) { repo, worker in ignoredByRepo[repo.path]?[worker] ?? [] })
        report.workerNames = batch.workerNames
        report.ledger = Ledger(results: results, batchAgent: batch.agent.label, workerLabel: batch.workerLabel)
        report.tasks = tasks.map(\.entry)
        if withPatches { report.taskPatches = Dictionary(tasks.map { ($0.entry.id, $0.patch ?? "") }) { _, last in last } }
        return report
    }
}

extension MergeReport {
    /// Says that a task commit is kept only by its ref, and how to bring it back.
    static func offBranchWarning(_ commit: Commit, of worker: WorkerBranch, in repo: Repo, batch: BatchRecord) -> String {
        let short = String(commit.sha.prefix(7))
        let task = commit.task.map { " (task \($0))" } ?? ""
        let hint = worker.worktree.map { " (bring it back onto the branch with: git -C \($0) merge \(short))" } ?? ""
        return "\(repo.name) \(batch.workerLabel(worker.worker)): commit \(short)\(task) is not on the branch \(worker.branch); "
            + "a ref under \(batch.taskRefPrefix(worker: worker.worker)) keeps it\(hint)"
    }
}

/// Builds one repository's part of the report with one repository handle.
private struct RepoReader {
    let batch: BatchRecord
    let repo: BatchRepository
    let repository: Repository
    /// The task each recorded commit belongs to, from the results (agents' own commits carry no trailer).
    let taskOfCommit: [String: String]
    let memo: ReportMemo

    init(batch: BatchRecord, repo: BatchRepository, taskOfCommit: [String: String], memo: ReportMemo) throws {
        self.batch = batch
        self.repo = repo
        self.taskOfCommit = taskOfCommit
        self.memo = memo
        repository = try Repository.open(at: repo.path)
    }

    /// A worker branch as read from git, with what the pairwise comparison needs.
    private struct Reading {
        var entry: MergeReport.WorkerBranch
        var tip: ObjectID
        /// Where the branch left the base: the commit its file list is relative to.
        var forkPoint: ObjectID
        /// The paths its files list, both names of a rename.
        var paths: Set<String>
        /// The ignored paths of its worktree (see `WorkingDirectoryStatus`), read with its status.
        var ignoredPaths: [String]
    }

    /// The repository's part of the report, and the ignored paths of each worker's worktree (for
    /// `unchangedTasks`), read in the same walk as its uncommitted files.
    func read() throws -> (repo: MergeReport.Repo, ignoredPaths: [Int: [String]]) {
        let baseTip = try repository.resolveBase(repo.base).commit
        let readings = try readWorkers(baseTip: baseTip)
        let conflicts = try pairwiseConflicts(readings)
        let entries = readings.map(\.entry)
        let part = MergeReport.Repo(
            path: repo.path, name: repo.name, base: repo.base, baseCommit: repo.baseCommit, baseTip: baseTip.hex,
            workers: entries, conflicts: conflicts, mergeOrder: Self.mergeOrder(entries, conflicts))
        return (part, Dictionary(readings.map { ($0.entry.worker, $0.ignoredPaths) }) { first, _ in first })
    }

    /// Reads every worker branch, on as many threads as there are cores (worktree status is
    /// mostly waiting on `stat`), each thread with a repository handle of its own.
    private func readWorkers(baseTip: ObjectID) throws -> [Reading] {
        let (batch, repo, taskOfCommit, memo) = (batch, repo, taskOfCommit, memo)
        return try ParallelReads.map(batch.workers) {
            try RepoReader(batch: batch, repo: repo, taskOfCommit: taskOfCommit, memo: memo)
        } read: { reader, worker in
            try reader.readWorker(worker, baseTip: baseTip)
        }.compactMap { $0 }
    }

    private func readWorker(_ worker: Int, baseTip: ObjectID) throws -> Reading? {
        let branch = batch.branch(worker: worker)
        guard let tip = try repository.branchTip(branch) else { return nil }
        guard let forkPoint = try repository.mergeBase(baseTip, tip) else {
            throw ReportError.unrelatedHistory(repository: repo.path, branch: branch, base: repo.base)
        }
        let commits = try repository.commits(from: baseTip, to: tip).map(reportCommit)
        let offBranch = try repository.references(prefix: batch.taskRefPrefix(worker: worker))
            .filter { !repository.contains($0.commit, in: tip) }
            .map { try reportCommit(repository.commitSummary($0.commit)) }
        let diff = try memo.diff(from: forkPoint, to: tip, in: repository, includePatch: false)
        let files = diff.files.map(MergeReport.ChangedFile.init)
        let worktree = worktreeCheckout(worker)
        let status = try worktree?.checkout.workingDirectoryStatus()
        let uncommitted = status?.uncommitted.map { MergeReport.UncommittedFile(path: $0.path, kind: $0.kind.rawValue) } ?? []
        let conflictsWithBase = try commits.isEmpty ? [] : repository.conflicts(between: baseTip, and: tip)
        let entry = MergeReport.WorkerBranch(
            worker: worker, branch: branch, tip: tip.hex, worktree: worktree?.path, commits: commits, offBranch: offBranch, files: files,
            insertions: diff.insertions, deletions: diff.deletions, uncommitted: uncommitted,
            mergesCleanly: conflictsWithBase.isEmpty, conflictsWithBase: conflictsWithBase,
            state: Self.state(try repository.mergeState(of: tip, into: baseTip)))
        return Reading(entry: entry, tip: tip, forkPoint: forkPoint, paths: diff.paths, ignoredPaths: status?.ignored ?? [])
    }

    /// A commit as the report shows it, with the task that made it.
    private func reportCommit(_ summary: CommitSummary) -> MergeReport.Commit {
        let trailer = summary.trailer("Conductor-Task")
        return MergeReport.Commit(sha: summary.id.hex, task: trailer ?? taskOfCommit[summary.id.hex], message: summary.summary,
                                  madeByAgent: trailer == nil && taskOfCommit[summary.id.hex] != nil ? true : nil)
    }

    /// The worker's worktree, when its directory exists and is a checkout of this repository
    /// (a leftover directory must not be read as the repository around it).
    private func worktreeCheckout(_ worker: Int) -> (path: String, checkout: Repository)? {
        let path = batch.worktreePath(repo, worker: worker)
        guard FileManager.default.fileExists(atPath: path),
              let checkout = try? Repository.open(at: path),
              Self.resolved(checkout.workingDirectory) == Self.resolved(path),
              Self.resolved(checkout.commonDirectory) == Self.resolved(repository.commonDirectory) else { return nil }
        return (path, checkout)
    }

    /// Every pair of branches with commits that conflict. Only pairs that can conflict are merged:
    /// two branches that left the base at the same commit conflict only where one changes a path
    /// the other also changes (or a directory above it).
    private func pairwiseConflicts(_ readings: [Reading]) throws -> [MergeReport.BranchConflict] {
        let active = readings.filter { !$0.entry.commits.isEmpty }
        let touched = active.map(\.paths)
        var conflicts: [MergeReport.BranchConflict] = []
        for i in active.indices {
            for j in active.indices where j > i {
                if !TaskConflicts.overlapping(touched[i], touched[j]) {
                    let sameFork = try active[i].forkPoint == active[j].forkPoint
                        && repository.mergeBase(active[i].tip, active[j].tip) == active[i].forkPoint
                    if sameFork { continue }
                }
                let paths = try mergeConflicts(between: active[i].tip, and: active[j].tip)
                if !paths.isEmpty {
                    conflicts.append(MergeReport.BranchConflict(a: active[i].entry.worker, b: active[j].entry.worker, paths: paths))
                }
            }
        }
        return conflicts
    }

    /// Where merging the two tips conflicts. With one merge base, the merge is remembered in
    /// `memo`, where the task conflicts find it again (the same merge when each branch holds one
    /// task); after criss-cross merges, libgit2 merges the merge bases first, as git does.
    private func mergeConflicts(between ours: ObjectID, and theirs: ObjectID) throws -> [String] {
        let bases = try repository.mergeBases(ours, theirs)
        guard bases.count == 1, !bases.contains(ours), !bases.contains(theirs) else {
            return try repository.conflicts(between: ours, and: theirs)
        }
        return try memo.conflicts(applying: bases[0], to: theirs, onto: ours, in: repository)
    }

    static func mergeOrder(_ workers: [MergeReport.WorkerBranch], _ conflicts: [MergeReport.BranchConflict]) -> [Int] {
        var conflictCount: [Int: Int] = [:]
        for conflict in conflicts {
            conflictCount[conflict.a, default: 0] += 1
            conflictCount[conflict.b, default: 0] += 1
        }
        func key(_ worker: MergeReport.WorkerBranch) -> (Int, Int, Int, Int) {
            (worker.mergesCleanly ? 0 : 1, conflictCount[worker.worker] ?? 0, worker.files.count, worker.worker)
        }
        return workers.filter { !$0.commits.isEmpty && $0.state == .unmerged }.sorted { key($0) < key($1) }.map(\.worker)
    }

    private static func state(_ state: MergeState) -> MergeReport.State {
        switch state {
        case .merged: .merged
        case .squashMerged: .squashMerged
        case .unmerged: .unmerged
        }
    }

    private static func resolved(_ path: String) -> String {
        Path.real(path)
    }
}

extension MergeReport.Totals {
    /// Task counts, cost and time from `results`; commits, files and lines from the branches.
    init(results: [TaskResult], repos: [MergeReport.Repo]) {
        let branches = repos.flatMap(\.workers)
        tasks = results.count
        succeeded = results.filter { $0.result.status.succeeded }.count
        failed = tasks - succeeded
        costUsd = results.reduce(0) { $0 + ($1.result.agent?.costUsd ?? 0) }
        let starts = results.compactMap(\.result.startedAt)
        let ends = results.compactMap(\.result.finishedAt)
        if let first = starts.min(), let last = ends.max(), last >= first {
            durationMs = Int((last.timeIntervalSince(first) * 1000).rounded())
        } else {
            durationMs = results.reduce(0) { $0 + $1.result.durationMs }
        }
        commits = branches.reduce(0) { $0 + $1.commits.count }
        filesChanged = branches.reduce(0) { $0 + $1.files.count }
        insertions = branches.reduce(0) { $0 + $1.insertions }
        deletions = branches.reduce(0) { $0 + $1.deletions }
    }
}
