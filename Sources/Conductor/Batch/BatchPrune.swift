import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif
import Git
import Queue

/// One thing `conductor prune` does, or would do, or refuses to do.
public struct PruneAction: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case cleanStaleEntries, removeWorktree, keepWorktree, deleteBranch, keepBranch, removeQueue, removeBatchDirectory, keepBatchDirectory
    }

    public var kind: Kind
    public var repo: String?
    public var path: String?
    public var branch: String?
    /// Why, in words.
    public var reason: String
    /// Uncommitted files of a kept worktree, or the stale entries cleaned.
    public var files: [String]?
    /// Commits a kept branch has that the base lacks.
    public var commitsAhead: Int?

    /// True for the kinds that leave something in place.
    public var keeps: Bool { [.keepWorktree, .keepBranch, .keepBatchDirectory].contains(kind) }
}

/// What pruning a batch does: removes its worktrees, queue and directory; deletes its branches
/// whose work is in the base (reachable, or squash-merged); keeps everything else unless forced.
/// It touches only the worktrees and branches the batch itself named.
public enum BatchPrune {
    /// What pruning `record` would do, changing nothing.
    ///
    /// - Throws: `BatchError.running` while the batch runs.
    public static func plan(_ record: BatchRecord, force: Bool) throws -> [PruneAction] {
        if let pid = FileLock.holder(of: record.queue.orchestratorLockFile) {
            throw BatchError.running(name: record.name, pid: pid)
        }
        for slot in record.queue.existingSlots() {
            if let owner = slot.liveOwner() { throw BatchError.running(name: record.name, pid: owner.pid) }
        }
        var actions: [PruneAction] = []
        for repo in record.repos {
            guard let repository = try? Repository.open(at: repo.path) else { continue }
            let stale = try repository.pruneStaleWorktreeEntries(dryRun: true)
            if !stale.isEmpty {
                actions.append(PruneAction(kind: .cleanStaleEntries, repo: repo.path, reason: "worktree entries whose directory is gone", files: stale))
            }
            let baseTip = try repository.branchTip(repo.base) ?? ObjectID(hex: repo.baseCommit)
            var keptWorktreeBranches: Set<String> = []
            for worker in 0..<record.workers {
                let branch = record.branch(worker: worker)
                if let worktree = try repository.worktree(named: record.worktreeName(worker: worker)),
                   FileManager.default.fileExists(atPath: worktree.path) {
                    let changes = try Repository.open(at: worktree.path).uncommittedChanges()
                    if !changes.isEmpty && !force {
                        keptWorktreeBranches.insert(branch)
                        actions.append(PruneAction(
                            kind: .keepWorktree, repo: repo.path, path: worktree.path, branch: branch,
                            reason: "it has \(changes.count) uncommitted change(s); commit them, or prune with --force to discard them",
                            files: changes.map(\.description)))
                    } else {
                        actions.append(PruneAction(
                            kind: .removeWorktree, repo: repo.path, path: worktree.path, branch: branch,
                            reason: changes.isEmpty ? "no uncommitted changes" : "forced: discards \(changes.count) uncommitted change(s)",
                            files: changes.isEmpty ? nil : changes.map(\.description)))
                    }
                }
            }
            for branch in (0..<record.workers).map(record.branch) + [record.mergedBranch] {
                guard let tip = try repository.branchTip(branch) else { continue }
                if keptWorktreeBranches.contains(branch) {
                    actions.append(PruneAction(kind: .keepBranch, repo: repo.path, branch: branch, reason: "its worktree is kept"))
                    continue
                }
                switch try repository.mergeState(of: tip, into: baseTip) {
                case .merged:
                    actions.append(PruneAction(kind: .deleteBranch, repo: repo.path, branch: branch, reason: "merged into \(repo.base)"))
                case .squashMerged:
                    actions.append(PruneAction(kind: .deleteBranch, repo: repo.path, branch: branch, reason: "its changes are already in \(repo.base) (squash-merged)"))
                case .unmerged(let ahead) where force:
                    actions.append(PruneAction(kind: .deleteBranch, repo: repo.path, branch: branch,
                                               reason: "forced: drops \(ahead) commit(s) not in \(repo.base)", commitsAhead: ahead))
                case .unmerged(let ahead):
                    actions.append(PruneAction(kind: .keepBranch, repo: repo.path, branch: branch,
                                               reason: "\(ahead) commit(s) not in \(repo.base); merge them, or prune \(record.name) --force to drop them",
                                               commitsAhead: ahead))
                }
            }
        }
        if FileManager.default.fileExists(atPath: record.queue.path) {
            actions.append(PruneAction(kind: .removeQueue, path: record.queue.path, reason: "the batch's queue and logs"))
        }
        if actions.contains(where: \.keeps) {
            actions.append(PruneAction(kind: .keepBatchDirectory, path: record.directory,
                                       reason: "batch.json stays so report and prune still know the kept work"))
        } else {
            actions.append(PruneAction(kind: .removeBatchDirectory, path: record.directory, reason: "nothing of the batch is left"))
        }
        return actions
    }

    /// Carries out a plan. A step that fails is reported as kept, with the error, and the rest go on.
    ///
    /// - Returns: what was done (and kept).
    public static func execute(_ actions: [PruneAction], record: BatchRecord, force: Bool) -> [PruneAction] {
        var done: [PruneAction] = []
        var failedDirectoryRemoval = false
        for action in actions {
            do {
                switch action.kind {
                case .cleanStaleEntries:
                    try Repository.open(at: action.repo!).pruneStaleWorktreeEntries()
                case .removeWorktree:
                    try Repository.open(at: action.repo!).removeWorktree(named: record.worktreeName(worker: worker(of: action, in: record)), force: force)
                case .deleteBranch:
                    let repository = try Repository.open(at: action.repo!)
                    let repo = record.repos.first { $0.path == action.repo }!
                    let baseTip = try repository.branchTip(repo.base) ?? ObjectID(hex: repo.baseCommit)
                    try repository.deleteBranch(action.branch!, base: baseTip, force: force)
                case .removeQueue:
                    try FileManager.default.removeItem(atPath: action.path!)
                case .removeBatchDirectory:
                    if failedDirectoryRemoval || done.contains(where: \.keeps) {
                        done.append(PruneAction(kind: .keepBatchDirectory, path: action.path, reason: "some of the batch was kept"))
                        continue
                    }
                    try FileManager.default.removeItem(atPath: action.path!)
                case .keepWorktree, .keepBranch, .keepBatchDirectory:
                    break
                }
                done.append(action)
            } catch {
                failedDirectoryRemoval = true
                var kept = action
                kept.kind = action.kind == .removeWorktree ? .keepWorktree : action.kind == .deleteBranch ? .keepBranch : .keepBatchDirectory
                kept.reason = "failed: \(error)"
                done.append(kept)
            }
        }
        return done
    }

    private static func worker(of action: PruneAction, in record: BatchRecord) -> Int {
        (0..<record.workers).first { record.branch(worker: $0) == action.branch } ?? 0
    }
}
