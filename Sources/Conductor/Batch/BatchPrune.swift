import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif
import Git
import Queue

/// What pruning a batch does: removes its worktrees, queue and directory; deletes its branches
/// (with the task refs that record their commits) whose work is in the base (reachable, or
/// squash-merged); keeps everything else unless forced.
///
/// It touches only the worktrees, entries, branches and refs the batch itself named, and it fails
/// closed: a repository that will not open, or a worktree that cannot be checked, is kept with
/// everything in it, and the batch directory is never deleted around a checkout.
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
            do {
                actions += try RepositoryPrune(record: record, repo: repo, force: force).plan()
            } catch {
                actions.append(PruneAction(kind: .keepRepository, repo: repo.path, reason: cannotCheck(repo, of: record, error)))
            }
        }
        actions += RemoteBatchPrune.plan(record, force: force)
        if FileManager.default.fileExists(atPath: record.queue.path) {
            actions.append(PruneAction(kind: .removeQueue, path: record.queue.path, reason: "the batch's queue and logs"))
        }
        if actions.contains(where: \.keeps) {
            actions.append(PruneAction(kind: .keepBatchDirectory, path: record.directory,
                                       reason: "batch.json stays so report and prune still know the kept work"))
        } else {
            let clones = actions.filter { $0.kind == .removeLocalWorkers }.compactMap(\.path).flatMap(checkouts(under:))
            let removed = Set((actions.filter { $0.kind == .removeWorktree }.compactMap(\.path) + clones).map(resolved))
            actions.append(batchDirectoryAction(record, leftAfterRemoving: removed))
        }
        return actions
    }

    /// Carries out a plan. A step that fails is reported as kept, with the error, and the rest go on.
    ///
    /// - Returns: what was done (and kept).
    public static func execute(_ actions: [PruneAction], record: BatchRecord, force: Bool) -> [PruneAction] {
        var done: [PruneAction] = []
        var failed = false
        for action in actions {
            do {
                switch action.kind {
                case .cleanStaleEntries:
                    try Repository.open(at: action.repo!, searchParents: false).pruneStaleWorktreeEntries(named: action.files ?? [])
                case .removeWorktree:
                    try Repository.open(at: action.repo!, searchParents: false).removeWorktree(named: action.worktree!, force: force)
                    if let entry = action.poolEntry { try pool(of: action, in: record).drop(entry) }
                case .parkWorktree:
                    let checkout = try Repository.openLinkedWorktree(at: action.path!)
                    try checkout.detachHead()
                    try pool(of: action, in: record).release(action.poolEntry!, from: record.name, parkedAt: try checkout.headCommit()?.hex)
                case .releasePoolEntry:
                    try pool(of: action, in: record).release(action.poolEntry!, from: record.name, parkedAt: nil)
                case .deleteBranch, .deleteRefs:
                    let repository = try Repository.open(at: action.repo!, searchParents: false)
                    let baseTip = try RepositoryPrune.baseTip(of: record.repos.first { $0.path == action.repo }!, in: repository)
                    if action.kind == .deleteBranch {
                        try repository.deleteBranch(action.branch!, base: baseTip, force: force, references: action.refs ?? [])
                    } else {
                        try repository.deleteReferences(action.refs ?? [], base: baseTip, force: force)
                    }
                case .removeQueue, .removeLocalWorkers:
                    try FileManager.default.removeItem(atPath: action.path!)
                case .deleteRemoteBranch:
                    try RemoteBatchPrune.deleteRemoteBranch(action, record: record)
                case .removeBatchDirectory:
                    if failed || done.contains(where: \.keeps) {
                        done.append(PruneAction(kind: .keepBatchDirectory, path: action.path, reason: "some of the batch was kept"))
                        continue
                    }
                    let decided = batchDirectoryAction(record, leftAfterRemoving: [])
                    if decided.kind == .keepBatchDirectory {
                        done.append(decided)
                        continue
                    }
                    try FileManager.default.removeItem(atPath: action.path!)
                case .keepWorktree, .keepBranch, .keepRefs, .keepRepository, .keepBatchDirectory, .keepRemoteBranch, .keepLocalWorkers:
                    break
                }
                done.append(action)
            } catch {
                failed = true
                var kept = action
                kept.kind = action.kind.whenFailed
                kept.reason = "failed: \(error)"
                done.append(kept)
            }
        }
        return done
    }

    /// The pool of the repository `action` is about.
    private static func pool(of action: PruneAction, in record: BatchRecord) -> WorktreePool {
        WorktreePool(store: Path.parent(record.directory), repository: action.repo!)
    }

    /// Removes the batch directory only when no checkout (a directory with a `.git`) is left in
    /// it but those in `removed`: a worktree goes only through git's checked removal.
    private static func batchDirectoryAction(_ record: BatchRecord, leftAfterRemoving removed: Set<String>) -> PruneAction {
        let left = checkouts(under: record.directory).filter { !removed.contains(resolved($0)) }
        guard left.isEmpty else {
            return PruneAction(
                kind: .keepBatchDirectory, path: record.directory,
                reason: "it still holds \(left.joined(separator: ", ")), which prune did not check and remove; "
                    + "conductor removes worktrees only through git: look at them, then delete them yourself", files: left)
        }
        return PruneAction(kind: .removeBatchDirectory, path: record.directory, reason: "nothing of the batch is left")
    }

    /// The directories under `directory` that hold a `.git` (worktrees, repositories), not
    /// looking inside them, nor following symlinks. A directory that cannot be read counts as one.
    static func checkouts(under directory: String) -> [String] {
        let files = FileManager.default
        guard files.fileExists(atPath: directory) else { return [] }
        var found: [String] = []
        var pending = [directory]
        while let current = pending.popLast() {
            guard let entries = try? files.contentsOfDirectory(atPath: current) else {
                found.append(current)
                continue
            }
            if entries.contains(".git") {
                found.append(current)
                continue
            }
            for entry in entries {
                let path = Path.join(current, entry)
                if (try? files.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeDirectory {
                    pending.append(path)
                }
            }
        }
        return found.sorted()
    }

    /// `path` with symlinks resolved, so a worktree path git recorded matches the one found on disk.
    private static func resolved(_ path: String) -> String {
        guard let real = realpath(path, nil) else { return path }
        defer { free(real) }
        return String(cString: real)
    }

    /// Why a repository is kept whole: it could not be opened or read, and what to do.
    private static func cannotCheck(_ repo: BatchRepository, of record: BatchRecord, _ error: Error) -> String {
        "cannot check it (\(error)), so none of its worktrees, branches or refs was touched. "
            + "If the repository moved, run `git -C NEW_PATH worktree repair` there, set this repository's \"path\" "
            + "in \(record.directory)/\(BatchRecord.fileName) to NEW_PATH, and prune again; if it is gone for good, "
            + "its worktrees under \(record.directory)/\(repo.name) are yours to delete"
    }
}
