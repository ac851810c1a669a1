import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

/// Builds a batch's integration branch, `conductor/<name>/merged`: the base branch as it is now
/// with every worker branch merged in that merges cleanly, in the report's merge order.
///
/// Merges happen in memory and are written as commits; no checkout, index or worktree is touched
/// and no ref moves except the integration branch, which is created or rebuilt from scratch.
public enum IntegrationMerge {
    /// Builds the integration branch in each repository of the report.
    ///
    /// - Returns: one outcome per repository: the branch's tip, the workers merged and those left
    ///   out with the reason.
    /// - Throws: `GitError` when a repository cannot be read or the integration branch is checked
    ///   out somewhere (it cannot be moved then).
    public static func run(for batch: BatchRecord, report: MergeReport) throws -> [IntegrationOutcome] {
        try report.repos.map { try merge($0, batch: batch) }
    }

    private static func merge(_ entry: MergeReport.Repo, batch: BatchRecord) throws -> IntegrationOutcome {
        let repository = try Repository.open(at: entry.path)
        let baseTip = try repository.resolveBase(entry.base).commit
        var head = baseTip
        var merged: [IntegrationOutcome.MergedWorker] = []
        var leftOut: [IntegrationOutcome.LeftOutWorker] = []
        for number in entry.mergeOrder {
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
            parties += others.map { "w\($0)" }
            if parties.isEmpty { parties = ["the branches merged before it"] }
            leftOut.append(.init(
                worker: number, branch: worker.branch, reason: .conflicts, paths: paths, conflictsWith: others,
                explanation: "conflicts with \(parties.joined(separator: " and ")) in \(paths.joined(separator: ", "))"))
        }
        for worker in entry.workers where !entry.mergeOrder.contains(worker.worker) {
            let alreadyMerged = !worker.commits.isEmpty
            leftOut.append(.init(
                worker: worker.worker, branch: worker.branch, reason: alreadyMerged ? .alreadyMerged : .noCommits, paths: [],
                conflictsWith: [],
                explanation: alreadyMerged ? "its changes are already in \(entry.base)"
                    : worker.uncommitted.isEmpty ? "no commits" : "no commits (\(worker.uncommitted.count) uncommitted file(s) in its worktree)"))
        }
        try repository.setBranch(batch.mergedBranch, to: head)
        return IntegrationOutcome(
            repo: entry.path, name: entry.name, branch: batch.mergedBranch, base: entry.base, baseTip: baseTip.hex,
            tip: head.hex, merged: merged, leftOut: leftOut.sorted { $0.worker < $1.worker })
    }
}

/// What `IntegrationMerge` did in one repository.
public struct IntegrationOutcome: Codable, Sendable, Equatable {
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
    /// The workers merged, in the order they were merged.
    public var merged: [MergedWorker]
    /// The workers not merged, by worker number.
    public var leftOut: [LeftOutWorker]

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
        lines.append("  merged: " + (merged.isEmpty ? "nothing" : merged.map { "w\($0.worker) (\($0.branch))" }.joined(separator: ", ")))
        for worker in leftOut {
            lines.append("  left out: w\(worker.worker) (\(worker.branch)): \(worker.explanation)")
        }
        if !merged.isEmpty {
            lines.append("  inspect: git -C \(repo) log --graph --oneline \(base)..\(branch)")
        }
        return lines.joined(separator: "\n")
    }
}
