import FoundationEssentials
import FoundationShims
import Git

/// What pruning a batch run on a shared queue adds to a local batch's prune: the remote's
/// branches of the batch, judged as local ones are (deleted when their work is in the base, kept
/// otherwise unless forced, and deleted only while still at the commit judged), and the
/// directories of the coordinator's local workers (kept while a clone holds work the remote lacks
/// or a worktree holds uncommitted files, unless forced).
enum RemoteBatchPrune {
    /// The actions for `record`'s remote branches and local workers; none for a local batch.
    static func plan(_ record: BatchRecord, force: Bool) -> [PruneAction] {
        guard let remote = record.remote, let repo = record.repos.first else { return [] }
        var actions: [PruneAction]
        do {
            actions = try remoteBranchActions(record, remote: remote, repo: repo, force: force)
        } catch {
            actions = [PruneAction(kind: .keepRemoteBranch, repo: repo.path, path: remote.remoteURL,
                                   reason: "cannot check the remote \(remote.remoteName)'s branches of the batch (\(error)), so none was touched; prune again once it can be reached")]
        }
        if let workers = localWorkersAction(record, force: force) { actions.append(workers) }
        return actions
    }

    /// Deletes the remote branch of `action` while it is at the commit judged.
    ///
    /// - Throws: `RemoteTaskError` when it moved since (it is then kept), `GitError` when the
    ///   remote cannot be reached or refuses.
    static func deleteRemoteBranch(_ action: PruneAction, record: BatchRecord) throws {
        guard let remote = record.remote, let repo = action.repo, let branch = action.branch, let tip = action.tip else { return }
        let repository = try Repository.open(at: repo, searchParents: false)
        guard try repository.deleteRemoteBranch(branch, expected: ObjectID(hex: tip), onRemote: remote.remoteName,
                                                 passwords: GitCredentialHelper(directory: repo)) else {
            throw RemoteTaskError("\(branch) on \(remote.remoteName) moved since prune judged it (a late push); prune again to judge it anew")
        }
    }

    private static func remoteBranchActions(_ record: BatchRecord, remote: RemoteBatchRecord, repo: BatchRepository,
                                            force: Bool) throws -> [PruneAction] {
        let repository = try Repository.open(at: repo.path, searchParents: false)
        try repository.fetch(remote: remote.remoteName, passwords: GitCredentialHelper(directory: repo.path))
        let base = try RepositoryPrune.baseTip(of: repo, in: repository)
        let prefix = "refs/remotes/\(remote.remoteName)/conductor/\(record.name)/"
        return try repository.references(prefix: prefix).sorted { $0.name < $1.name }.map { reference in
            let branch = "conductor/\(record.name)/" + reference.name.dropFirst(prefix.count)
            func action(_ kind: PruneAction.Kind, _ reason: String, ahead: Int? = nil) -> PruneAction {
                PruneAction(kind: kind, repo: repo.path, path: remote.remoteURL, branch: branch, reason: reason + " (on \(remote.remoteName))",
                            commitsAhead: ahead, tip: reference.commit.hex)
            }
            switch try repository.mergeState(of: [reference.commit], into: base) {
            case .merged: return action(.deleteRemoteBranch, "merged into \(repo.base)")
            case .squashMerged: return action(.deleteRemoteBranch, "its changes are already in \(repo.base) (squash-merged)")
            case .unmerged(let ahead) where force: return action(.deleteRemoteBranch, "forced: drops \(ahead) commit(s) not in \(repo.base)", ahead: ahead)
            case .unmerged(let ahead):
                return action(.keepRemoteBranch, "\(ahead) commit(s) not in \(repo.base); merge them, or prune \(record.name) --force to drop them", ahead: ahead)
            }
        }
    }

    /// Remove or keep `<batch dir>/workers`, the local workers' clones and worktrees; nil when there is none.
    private static func localWorkersAction(_ record: BatchRecord, force: Bool) -> PruneAction? {
        let directory = "\(record.directory)/workers"
        guard Path.isDirectory(directory) else { return nil }
        let unsafe = BatchPrune.checkouts(under: directory).filter { !holdsOnlyPushedWork($0, batch: record.name) }
        guard unsafe.isEmpty || force else {
            return PruneAction(kind: .keepLocalWorkers, path: directory,
                               reason: "it holds work the remote lacks (commits not pushed, or uncommitted files); look at it, or prune \(record.name) --force to discard it",
                               files: unsafe)
        }
        return PruneAction(kind: .removeLocalWorkers, path: directory,
                           reason: unsafe.isEmpty ? "the local workers' clones; their work is on the remote" : "forced: discards what they hold", files: unsafe.isEmpty ? nil : unsafe)
    }

    /// True for a worker's clone whose batch branches and task refs are all on the remote (as last
    /// fetched), or a worktree of it with no uncommitted file. (The clone has no files of its own:
    /// its worktrees are where files go.)
    private static func holdsOnlyPushedWork(_ checkout: String, batch: String) -> Bool {
        guard let repository = try? Repository.open(at: checkout, searchParents: false) else { return false }
        if !Path.isDirectory("\(checkout)/.git") { return (try? repository.uncommittedChanges().isEmpty) == true }
        guard let pushed = try? repository.references(prefix: "refs/remotes/\(RemoteCheckout.remoteName)/conductor/\(batch)/"),
              let local = try? repository.references(prefix: "refs/heads/conductor/\(batch)/") + repository.references(prefix: "refs/conductor/\(batch)/")
        else { return false }
        return local.allSatisfy { reference in pushed.contains { repository.contains(reference.commit, in: $0.commit) } }
    }
}
