import FoundationEssentials
import Git

/// The prune plan of one repository of a batch: its stale entries, worktrees, branches and task
/// refs, each checked before anything is decided.
struct RepositoryPrune {
    let record: BatchRecord
    let repo: BatchRepository
    let force: Bool

    /// The base's commit now (a branch, or any commit-ish), or the batch's start commit when it is gone.
    static func baseTip(of repo: BatchRepository, in repository: Repository) throws -> ObjectID {
        try (try? repository.resolveBase(repo.base).commit) ?? ObjectID(hex: repo.baseCommit)
    }

    /// - Throws: when the repository cannot be opened or read; the caller then keeps all of it.
    func plan() throws -> [PruneAction] {
        let repository = try Repository.open(at: repo.path, searchParents: false)
        var actions: [PruneAction] = []
        let names = (0..<record.workers).map { record.worktreeName(repo, worker: $0) }
        let stale = try repository.pruneStaleWorktreeEntries(named: names, dryRun: true)
        if !stale.isEmpty {
            actions.append(PruneAction(kind: .cleanStaleEntries, repo: repo.path, reason: "the batch's worktree entries whose directory is gone",
                                       files: stale))
        }
        var keptWorktreeBranches: Set<String> = []
        for worker in 0..<record.workers {
            guard let action = try worktreeAction(worker, in: repository) else { continue }
            if action.keeps { keptWorktreeBranches.insert(record.branch(worker: worker)) }
            actions.append(action)
        }
        let baseTip = try Self.baseTip(of: repo, in: repository)
        let taskRefs = try repository.references(prefix: "refs/conductor/\(record.name)/")
        for worker in 0..<record.workers {
            let branch = record.branch(worker: worker)
            let refs = taskRefs.filter { $0.name.hasPrefix("refs/conductor/\(record.name)/w\(worker)/") }
            actions += try workActions(branch: branch, refs: refs, worktreeKept: keptWorktreeBranches.contains(branch),
                                       base: baseTip, in: repository)
        }
        actions += try workActions(branch: record.mergedBranch, refs: [], worktreeKept: false, base: baseTip, in: repository)
        return actions
    }

    /// Remove or keep worker `worker`'s worktree, as `git worktree remove` would decide; nil when
    /// it has none (or only a stale entry).
    private func worktreeAction(_ worker: Int, in repository: Repository) throws -> PruneAction? {
        let name = record.worktreeName(repo, worker: worker)
        let entry = record.pooledEntry(repo, worker: worker)
        guard let worktree = try repository.worktree(named: name), FileManager.default.fileExists(atPath: worktree.path) else {
            return entry.map { PruneAction(kind: .releasePoolEntry, repo: repo.path, reason: "the batch made no worktree of it", poolEntry: $0) }
        }
        let blockers: [WorktreeRemovalBlocker]
        do {
            blockers = try repository.removalBlockers(ofWorktree: name)
        } catch {
            blockers = [.unreadable("\(error)")]
        }
        let refusing = blockers.filter { !force || !$0.isOverriddenByForce }
        let files = blockers.flatMap { blocker -> [String] in
            if case .uncommittedChanges(let changes) = blocker { return changes.map(\.description) }
            return []
        }
        let branch = record.branch(worker: worker)
        guard refusing.isEmpty else {
            let fix = refusing.allSatisfy(\.isOverriddenByForce)
                ? "commit or save that work, or prune \(record.name) --force to discard it"
                : "conductor keeps what it cannot check: repair it (git -C \(repo.path) worktree repair \(worktree.path)) and prune again, or remove it yourself"
            return PruneAction(kind: .keepWorktree, repo: repo.path, path: worktree.path, branch: branch, worktree: name,
                               reason: "it " + refusing.map(\.summary).joined(separator: "; it ") + "; " + fix,
                               files: files.isEmpty ? nil : files)
        }
        if let entry, blockers.isEmpty {
            return PruneAction(kind: .parkWorktree, repo: repo.path, path: worktree.path, branch: branch, worktree: name,
                               reason: "nothing uncommitted: parked in the pool for the next --pool batch, ignored files kept", poolEntry: entry)
        }
        return PruneAction(kind: .removeWorktree, repo: repo.path, path: worktree.path, branch: branch, worktree: name,
                           reason: blockers.isEmpty ? "nothing uncommitted, no submodules"
                               : "forced: discards what it holds (it " + blockers.map(\.summary).joined(separator: "; it ") + ")",
                           files: files.isEmpty ? nil : files, poolEntry: entry)
    }

    /// Delete or keep a branch together with the task refs that record its commits. When the
    /// branch is already gone, its refs are judged on their own.
    private func workActions(branch: String, refs: [ReferenceTarget], worktreeKept: Bool, base: ObjectID,
                             in repository: Repository) throws -> [PruneAction] {
        let tip = try repository.branchTip(branch)
        guard tip != nil || !refs.isEmpty else { return [] }
        let names = refs.isEmpty ? nil : refs.map(\.name)
        let (delete, keep): (PruneAction.Kind, PruneAction.Kind) = tip == nil ? (.deleteRefs, .keepRefs) : (.deleteBranch, .keepBranch)
        func action(_ kind: PruneAction.Kind, _ reason: String, ahead: Int? = nil) -> [PruneAction] {
            [PruneAction(kind: kind, repo: repo.path, branch: branch, reason: reason, commitsAhead: ahead, refs: names)]
        }
        if worktreeKept { return action(keep, "its worktree is kept") }
        let gone = tip == nil ? "the branch is gone and its task refs are " : ""
        switch try repository.mergeState(of: (tip.map { [$0] } ?? []) + refs.map(\.commit), into: base) {
        case .merged:
            return action(delete, "\(gone)merged into \(repo.base)")
        case .squashMerged:
            return action(delete, "\(tip == nil ? "the branch is gone and its task refs'" : "its") changes are already in \(repo.base) (squash-merged)")
        case .unmerged(let ahead) where force:
            return action(delete, "forced: drops \(ahead) commit(s) not in \(repo.base)", ahead: ahead)
        case .unmerged(let ahead):
            let outside = refs.filter { reference in tip.map { !repository.contains(reference.commit, in: $0) } ?? true }
            let only = outside.isEmpty ? "" : " (some named only by \(outside.map(\.name).joined(separator: ", ")))"
            return action(keep, "\(ahead) commit(s) not in \(repo.base)\(only); merge them, or prune \(record.name) --force to drop them",
                          ahead: ahead)
        }
    }
}
