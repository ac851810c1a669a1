import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

/// Builds a batch's integration branch, `conductor/<name>/merged`: the base branch as it is now
/// with the batch's work taken in the report's merge order, task by task (each task that applies
/// cleanly, as one commit) or worker branch by worker branch (each branch that merges cleanly).
///
/// Picks and merges happen in memory and are written as commits; no checkout, index or worktree is
/// touched and no ref moves except the integration branch, which is created or rebuilt from scratch.
///
/// A rebuild never silently drops work: when the branch has commits this merge did not make (a
/// fix committed on it, a merge made by hand), it is refused unless forced, naming them.
public enum IntegrationMerge {
    /// What to take onto the integration branch.
    public enum Mode: Sendable, Equatable {
        /// Whole worker branches, one merge commit each: these workers, or all when nil.
        case workers([Int]?)
        /// Task by task (see `TaskSelection`).
        case tasks(TaskSelection)
    }

    /// Builds the integration branch in each repository of the report.
    ///
    /// Every repository is checked before any branch moves.
    ///
    /// - Parameters:
    ///   - results: the batch's task results: each task's commits and status. Needed to take tasks,
    ///     and to know the commits an earlier task merge made.
    ///   - mode: whole worker branches (the default) or task by task.
    ///   - force: rebuild even over commits merge did not make; the outcome lists them.
    /// - Returns: one outcome per repository: the branch's tip, what was taken and what was left
    ///   out with the reason.
    /// - Throws: `IntegrationError.foreignCommits` when the branch has commits merge did not make
    ///   (without `force`); `GitError` when a repository cannot be read or the integration branch
    ///   is checked out somewhere (it cannot be moved then).
    public static func run(for batch: BatchRecord, report: MergeReport, results: [TaskResult] = [], mode: Mode = .workers(nil),
                           force: Bool = false) throws -> [IntegrationOutcome] {
        let foreign = try report.repos.map { try foreignCommits(in: $0, batch: batch, results: results) }
        if !force, let refused = zip(report.repos, foreign).first(where: { !$0.1.isEmpty }) {
            throw IntegrationError.foreignCommits(batch: batch.name, repo: refused.0.path, branch: batch.mergedBranch, commits: refused.1)
        }
        return try zip(report.repos, foreign).map { entry, dropped in
            let repository = try Repository.open(at: entry.path)
            let baseTip = try repository.resolveBase(entry.base).commit
            var outcome = IntegrationOutcome(
                repo: entry.path, name: entry.name, branch: batch.mergedBranch, base: entry.base, baseTip: baseTip.hex,
                tip: baseTip.hex, merged: [], leftOut: [])
            let head: ObjectID
            switch mode {
            case .workers(let chosen):
                head = try mergeWorkers(entry, chosen: chosen, batch: batch, repository: repository, baseTip: baseTip, into: &outcome)
                // Task commits an agent moved its branch away from are kept by refs, not by any branch.
                let refsOnly = try repository.references(prefix: "refs/conductor/\(batch.name)/")
                    .filter { !repository.contains($0.commit, in: head) && !repository.contains($0.commit, in: baseTip) }.map(\.name)
                outcome.keptOnlyByRefs = refsOnly.isEmpty ? nil : refsOnly
            case .tasks(let selection):
                let work = try TaskWork.read(in: repository, results: results)
                head = try takeTasks(work, selection: selection, entry: entry, batch: batch, repository: repository, baseTip: baseTip, into: &outcome)
            }
            try repository.setBranch(batch.mergedBranch, to: head)
            outcome.tip = head.hex
            outcome.dropped = dropped.isEmpty ? nil : dropped
            outcome.workerNames = batch.workerNames
            return outcome
        }
    }

    /// The commits on the integration branch that `merge` did not make, as `<short sha> <subject>`,
    /// newest first. Merge made a commit when it has two parents, carries this batch's
    /// `Conductor-Batch` trailer, and holds exactly the clean merge of its parents, or when it is
    /// exactly the pick of one of the batch's tasks onto its parent (see `isTaskPick`); the base,
    /// the batch's start, the worker branches and their task refs are history it builds on.
    private static func foreignCommits(in entry: MergeReport.Repo, batch: BatchRecord, results: [TaskResult]) throws -> [String] {
        let repository = try Repository.open(at: entry.path)
        guard let current = try repository.branchTip(batch.mergedBranch) else { return [] }
        var known = [try repository.resolveBase(entry.base).commit]
        if let start = batch.repos.first(where: { $0.path == entry.path }) { known.append(try ObjectID(hex: start.baseCommit)) }
        known += try (0..<batch.workers).compactMap { try repository.branchTip(batch.branch(worker: $0)) }
        known += try repository.references(prefix: "refs/conductor/\(batch.name)/").map(\.commit)
        let candidates = try repository.commits(from: [current], hiding: known)
        let work = candidates.isEmpty ? [] : try TaskWork.read(in: repository, results: results)
        return try candidates.compactMap { id in
            let info = try repository.commitInfo(id)
            let isOurs = info.trailer("Conductor-Batch").contains(batch.name)
            let made = try isOurs && (info.parents.count == 2 ? repository.isCleanMerge(id) : isTaskPick(info, of: work, in: repository))
            return made ? nil : "\(id.short) \(info.summary)"
        }
    }

    private static func mergeWorkers(_ entry: MergeReport.Repo, chosen: [Int]?, batch: BatchRecord, repository: Repository,
                                     baseTip: ObjectID, into outcome: inout IntegrationOutcome) throws -> ObjectID {
        let isChosen = { (number: Int) in chosen?.contains(number) ?? true }
        var head = baseTip
        var merged: [IntegrationOutcome.MergedWorker] = []
        var leftOut: [IntegrationOutcome.LeftOutWorker] = []
        for number in entry.mergeOrder where isChosen(number) {
            guard let worker = entry.worker(number) else { continue }
            guard let tip = try repository.branchTip(worker.branch) else {
                leftOut.append(.init(worker: number, branch: worker.branch, reason: .branchMissing, paths: [], conflictsWith: [],
                                     explanation: "the branch no longer exists"))
                continue
            }
            let message = """
                Merge \(worker.branch) into \(batch.mergedBranch)

                Conductor-Batch: \(batch.name)
                Conductor-Worker: \(number)
                """
            if let next = try repository.mergeCommit(ours: head, theirs: tip, message: message) {
                head = next
                merged.append(.init(worker: number, branch: worker.branch, tip: tip.hex))
                continue
            }
            let paths = try repository.conflicts(between: head, and: tip)
            let withBase = try !repository.conflicts(between: baseTip, and: tip).isEmpty
            let mergedNumbers = Set(merged.map(\.worker))
            let others = entry.workersConflicting(with: number).filter(mergedNumbers.contains)
            var parties = withBase ? ["the base \(entry.base)"] : []
            parties += others.map(batch.workerLabel)
            if parties.isEmpty { parties = ["the branches merged before it"] }
            leftOut.append(.init(
                worker: number, branch: worker.branch, reason: .conflicts, paths: paths, conflictsWith: others,
                explanation: "conflicts with \(parties.joined(separator: " and ")) in \(paths.joined(separator: ", "))"))
        }
        for worker in entry.workers where !entry.mergeOrder.contains(worker.worker) && isChosen(worker.worker) {
            let alreadyMerged = !worker.commits.isEmpty
            leftOut.append(.init(
                worker: worker.worker, branch: worker.branch, reason: alreadyMerged ? .alreadyMerged : .noCommits, paths: [],
                conflictsWith: [],
                explanation: alreadyMerged ? "its changes are already in \(entry.base)"
                    : worker.uncommitted.isEmpty ? "no commits" : "no commits (\(worker.uncommitted.count) uncommitted file(s) in its worktree)"))
        }
        outcome.merged = merged
        outcome.leftOut = leftOut.sorted { $0.worker < $1.worker }
        return head
    }
}

/// What `IntegrationMerge` did in one repository.
public struct IntegrationOutcome: Codable, Sendable, Equatable, WorkerNaming {
    /// The repository's main checkout.
    public var repo: String
    public var name: String
    /// The integration branch, `conductor/<batch>/merged`.
    public var branch: String
    public var base: String
    /// The base commit the integration branch starts from.
    public var baseTip: String
    /// The integration branch's commit.
    public var tip: String
    /// The workers merged, in the order they were merged (whole-branch merges only).
    public var merged: [MergedWorker]
    /// The workers not merged, by worker number (whole-branch merges only).
    public var leftOut: [LeftOutWorker]
    /// The tasks taken, in the order they were taken; nil for whole-branch merges.
    public var taken: [TakenTask]?
    /// The tasks with commits that were not taken, in the order they were considered; nil for
    /// whole-branch merges.
    public var leftOutTasks: [LeftOutTask]?
    /// Commits merge did not make that a forced rebuild dropped from the branch
    /// (`<short sha> <subject>`); nil when none.
    public var dropped: [String]?
    /// Task refs whose commits are on no worker branch (an agent moved its branch away from
    /// them), so the integration branch lacks them; nil when none.
    public var keptOnlyByRefs: [String]?
    /// In a batch run on a shared queue, its workers' names by worker number, which
    /// `summary()` shows instead of `w<number>` (see `WorkerNaming`); absent for a local batch.
    public var workerNames: [String]?

    public struct MergedWorker: Codable, Sendable, Equatable {
        public var worker: Int
        public var branch: String
        /// The branch commit that was merged.
        public var tip: String
    }

    public struct LeftOutWorker: Codable, Sendable, Equatable {
        public var worker: Int
        public var branch: String
        public var reason: Reason
        /// The paths that conflict when merging the branch into the integration branch.
        public var paths: [String]
        /// The merged workers whose branches conflict with this one.
        public var conflictsWith: [Int]
        /// The reason in words.
        public var explanation: String
    }

    public enum Reason: String, Codable, Sendable {
        /// Merging would conflict with the base or with a branch merged before.
        case conflicts
        /// The branch has no commits the base lacks.
        case noCommits
        /// The branch's commits are not in the base but their changes are (squash-merged).
        case alreadyMerged
        /// The branch was deleted after the report was made.
        case branchMissing
    }

    /// A few lines for people: what was merged, what was left out and why, how to look.
    public func summary() -> String {
        var lines = ["\(name) (\(repo)): \(branch) at \(String(tip.prefix(7))), from \(base) at \(String(baseTip.prefix(7)))"]
        if let taken {
            lines.append("  taken: " + (taken.isEmpty ? "nothing" : taken.map(\.task).joined(separator: ", ")))
            for task in leftOutTasks ?? [] {
                lines.append("  left out: \(task.task)" + (task.worker.map { " (\(workerLabel($0)))" } ?? "") + ": \(task.explanation)")
            }
        } else {
            lines.append("  merged: " + (merged.isEmpty ? "nothing" : merged.map { "\(workerLabel($0.worker)) (\($0.branch))" }.joined(separator: ", ")))
        }
        for worker in leftOut {
            lines.append("  left out: \(workerLabel(worker.worker)) (\(worker.branch)): \(worker.explanation)")
        }
        if let refs = keptOnlyByRefs {
            lines.append("  not merged: \(refs.count) task commit(s) that no worker branch holds any more, kept by \(refs.joined(separator: ", ")); conductor report says how to bring each back")
        }
        for commit in dropped ?? [] {
            lines.append("  dropped (--force): \(commit); get it back with: git -C \(repo) branch NAME \(commit.prefix { $0 != " " })")
        }
        if !merged.isEmpty || taken?.isEmpty == false {
            lines.append("  inspect: git -C \(repo) log --graph --oneline \(base)..\(branch)")
        }
        return lines.joined(separator: "\n")
    }
}

/// Why `conductor merge` refuses to rebuild an integration branch.
public enum IntegrationError: Error, CustomStringConvertible {
    /// The branch has commits merge did not make (`<short sha> <subject>`, newest first).
    case foreignCommits(batch: String, repo: String, branch: String, commits: [String])

    public var description: String {
        switch self {
        case .foreignCommits(let batch, let repo, let branch, let commits):
            let listed = commits.prefix(10).joined(separator: "; ") + (commits.count > 10 ? "; and \(commits.count - 10) more" : "")
            return "\(branch) in \(repo) has \(commits.count) commit(s) that conductor merge did not make: \(listed). "
                + "Rebuilding it would drop them. Keep them on a branch of your own (git -C \(repo) branch NAME \(branch)), "
                + "then rebuild with: conductor merge \(batch) --force"
        }
    }
}
