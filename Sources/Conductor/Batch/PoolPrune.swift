import FoundationEssentials
import FoundationShims
import Git

/// `conductor prune --pool`: removes the parked worktrees of every pool in a store. An entry a
/// batch holds is left to that batch's prune; a parked worktree with uncommitted or untracked
/// changes, or one that cannot be checked, is kept (what `setup` made, ignored files, goes).
public enum PoolPrune {
    /// What removing the pools of the store at `store` would do, changing nothing.
    public static func plan(store: String) -> [PruneAction] {
        WorktreePool.all(in: store).flatMap { pool -> [PruneAction] in
            guard let repositoryPath = pool.repository else {
                return [PruneAction(kind: .keepWorktree, path: pool.directory, reason: "its pool.json cannot be read; nothing of it was touched")]
            }
            let entries: [String]
            let tag: String?
            let repository: Repository
            do {
                entries = try pool.parkedEntries()
                tag = try pool.tag()
                repository = try Repository.open(at: repositoryPath, searchParents: false)
            } catch {
                return [PruneAction(kind: .keepRepository, repo: repositoryPath, path: pool.directory,
                                    reason: "cannot check its pool (\(error)); nothing of it was touched")]
            }
            return entries.map { action(for: $0, named: WorktreePool.worktreeName($0, tag: tag), of: pool, in: repository, at: repositoryPath) }
        }
    }

    /// Carries out a plan; a step that fails is reported as kept, with the error.
    public static func execute(_ actions: [PruneAction], store: String) -> [PruneAction] {
        actions.map { action in
            guard action.kind == .removeWorktree, let repo = action.repo, let entry = action.poolEntry else { return action }
            let pool = WorktreePool(store: store, repository: repo)
            do {
                if let name = action.worktree {
                    try Repository.open(at: repo, searchParents: false).removeWorktree(named: name, force: true)
                }
                try pool.drop(entry)
                return action
            } catch {
                var kept = action
                kept.kind = .keepWorktree
                kept.reason = "failed: \(error)"
                return kept
            }
        }
    }

    /// Remove parked entry `entry`'s worktree when nothing in it would be lost, else keep it.
    private static func action(for entry: String, named name: String, of pool: WorktreePool, in repository: Repository, at repo: String) -> PruneAction {
        let path = pool.path(of: entry)
        guard (try? repository.worktree(named: name)) ?? nil != nil else {
            return PruneAction(kind: .removeWorktree, repo: repo, path: path, reason: "a pool entry without a worktree", poolEntry: entry)
        }
        let blockers = (try? repository.removalBlockers(ofWorktree: name)) ?? [.unreadable("its status cannot be read")]
        guard blockers.isEmpty else {
            return PruneAction(kind: .keepWorktree, repo: repo, path: path, worktree: name,
                               reason: "it " + blockers.map(\.summary).joined(separator: "; it ") + "; look at it, then remove it yourself (git worktree remove)",
                               poolEntry: entry)
        }
        return PruneAction(kind: .removeWorktree, repo: repo, path: path, worktree: name,
                           reason: "parked in the pool, nothing uncommitted (its ignored files, what setup made, go with it)", poolEntry: entry)
    }
}
