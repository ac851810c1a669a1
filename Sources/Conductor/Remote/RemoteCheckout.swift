import FoundationEssentials
import FoundationShims
import Git
#if canImport(Glibc)
import Glibc
#endif

/// A remote worker's checkout of one batch: a clone of the batch's remote under the worker's
/// directory (`DIR/<repo>-<hash of the URL>/clone`, fetched before every task), and a worktree
/// (`…/<batch>`) on branch `conductor/<batch>/<worker>`.
///
/// The remote is the truth about the branch: each task starts from the remote's tip of the
/// worker's branch (from the base commit while there is none), so work this host committed but
/// never pushed (a push refused because a newer attempt took over) is never built on. Such
/// commits stay reachable locally under their task refs (see `TaskRefs`).
struct RemoteCheckout {
    static let remoteName = "origin"
    let task: RemoteTask
    let worker: String
    let clonePath: String
    let worktreePath: String
    /// Told what the worker should log besides its task's result: a stale lock removed on the remote.
    let notice: (String) -> Void

    /// The worker's branch of the batch.
    var branch: String { "conductor/\(task.batch)/\(worker)" }
    /// Where the fetched branches of the batch are: `refs/remotes/origin/conductor/<batch>/`.
    private var remoteBatchPrefix: String { "refs/remotes/\(Self.remoteName)/conductor/\(task.batch)/" }

    init(task: RemoteTask, worker: String, directory: String, notice: @escaping (String) -> Void = { _ in }) {
        self.task = task
        self.worker = worker
        self.notice = notice
        let name = Path.name(task.remote.hasSuffix(".git") ? String(task.remote.dropLast(4)) : task.remote)
        let root = "\(directory)/\(TaskRun.safeFileName(name))-\(WorktreePool.hash(task.remote))"
        clonePath = "\(root)/clone"
        worktreePath = "\(root)/\(task.batch)"
    }

    /// Clones the remote (the first time) or fetches it, and puts the worktree on the worker's
    /// branch at the remote's tip of it, else at the base commit. Returns the clone and that commit.
    ///
    /// - Throws: `GitError`, or `RemoteTaskError` when the base commit is not on the remote.
    func prepare() throws -> (repository: Repository, start: ObjectID) {
        let repository: Repository
        if Path.isDirectory(clonePath) {
            repository = try Repository.open(at: clonePath, searchParents: false)
            try fetch(repository)
        } else {
            // Cloned aside and renamed into place, so a host that dies mid-clone leaves no half clone.
            let partial = "\(clonePath).partial-\(getpid())"
            try FileManager.default.createDirectory(atPath: Path.parent(clonePath), withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: partial)
            _ = try Repository.clone(from: task.remote, to: partial, passwords: passwords)
            try FileManager.default.moveItem(atPath: partial, toPath: clonePath)
            repository = try Repository.open(at: clonePath, searchParents: false)
        }
        let start = try startingPoint(of: worker, in: repository)
        if let checkout = TaskCommit.openCheckout(worktreePath) {
            try checkout.switchCheckout(to: branch, at: start, message: "conductor: \(branch) from the remote")
        } else {
            let name = "conductor-\(task.batch)-\(worker)"
            try repository.pruneStaleWorktreeEntries(named: [name])
            try repository.createBranch(branch, at: start, force: true)
            try repository.addWorktree(WorktreeSpec(name: name, path: worktreePath, branch: branch, startPoint: nil))
        }
        return (repository, start)
    }

    /// Fetches the remote's branches (the batch's among them).
    func fetch(_ repository: Repository) throws {
        try repository.fetch(remote: Self.remoteName, passwords: passwords)
    }

    /// Git's credential helpers, as the git CLI asks them in the clone (ssh uses the agent).
    private var passwords: GitCredentialHelper {
        GitCredentialHelper(directory: Path.isDirectory(clonePath) ? clonePath : FileManager.default.currentDirectoryPath)
    }

    /// The batch's base commit, which the fetch must have brought.
    func base(in repository: Repository) throws -> ObjectID {
        guard let base = try? ObjectID(hex: task.base), (try? repository.treeID(of: base)) != nil else {
            throw RemoteTaskError("the base commit \(task.base) of batch \(task.batch) is not on the remote \(task.remote); push the branch that holds it there (git push \(task.remote) BRANCH) before submitting the batch")
        }
        return base
    }

    /// Where worker `name`'s branch of the batch starts its next task, as last fetched: the
    /// remote's tip of it, else the base commit.
    func startingPoint(of name: String, in repository: Repository) throws -> ObjectID {
        try remoteTip(of: name, in: repository) ?? base(in: repository)
    }

    /// True when worker `name`'s branch (as last fetched) gained, since `seen`, a commit that a
    /// late push of an attempt begun at `seen` or before cannot be made over (see `push`): a
    /// commit that is not a fence for another task. That branch is then as good as fenced.
    func isBlocked(branchOf name: String, since seen: ObjectID, in repository: Repository) throws -> Bool {
        guard let tip = try remoteTip(of: name, in: repository), tip != seen, repository.contains(seen, in: tip) else { return false }
        return try !onlyOtherTasksFences(from: seen, to: tip, in: repository)
    }

    /// The remote's tip of worker `name`'s branch of the batch, as last fetched.
    private func remoteTip(of name: String, in repository: Repository) throws -> ObjectID? {
        try repository.references(prefix: remoteBatchPrefix).first { $0.name == remoteBatchPrefix + name }?.commit
    }

    /// The newest commit of the task on the remote's branches of the batch (as last fetched), and
    /// the branch holding it: an earlier attempt's work that was pushed but never recorded.
    /// Commits marked `Conductor-Status` (a failed attempt's) do not count.
    func pushedCommit(in repository: Repository) throws -> (commit: CommitSummary, branch: String)? {
        try Self.pushedCommits(of: [task.task.id], batch: task.batch, under: remoteBatchPrefix, base: base(in: repository),
                               in: repository)[task.task.id]
    }

    /// The newest commit of each of `tasks` of `batch` on the branches under `prefix` (a remote's
    /// branches of the batch, as fetched), not in `base`, and the branch holding it (named
    /// `conductor/<batch>/<worker>`). Commits marked `Conductor-Status` (a failed attempt's) do not count.
    static func pushedCommits(of tasks: Set<String>, batch: String, under prefix: String, base: ObjectID,
                              in repository: Repository) throws -> [String: (commit: CommitSummary, branch: String)] {
        let branches = try repository.references(prefix: prefix)
        var found: [String: (commit: CommitSummary, branch: String)] = [:]
        for commit in try repository.commits(underReferences: [prefix], notIn: base) {
            guard commit.trailer("Conductor-Batch") == batch, commit.trailer("Conductor-Status") == nil,
                  let id = commit.trailer("Conductor-Task"), tasks.contains(id), found[id] == nil,
                  let holder = branches.first(where: { repository.contains(commit.id, in: $0.commit) }) else { continue }
            found[id] = (commit, "conductor/\(batch)/" + holder.name.dropFirst(prefix.count))
        }
        return found
    }

    /// Fences worker `name`'s branch on the remote: pushes onto it an empty commit saying that
    /// attempt `attempt` of the task took over, so a push that worker makes from its old tip (it
    /// lost its lease while stopped) is no longer a fast-forward and the remote refuses it.
    ///
    /// - Returns: false when the remote branch moved since the last fetch (that worker pushed
    ///   meanwhile): fetch and look for the task's commit again.
    /// - Throws: `RemoteTaskError` when the remote refused the fence (a hook, or on a path remote
    ///   a lock another process kept), `GitError` when it could not be made or sent.
    func fence(branchOf name: String, attempt: Int, in repository: Repository) throws -> Bool {
        let fenced = "conductor/\(task.batch)/\(name)"
        let tip = try startingPoint(of: name, in: repository)
        let message = """
            conductor: fence \(fenced) for task \(task.task.id)

            Attempt \(attempt) of task \(task.task.id) was taken over by worker \(worker); this empty commit
            makes a late push of an earlier attempt from this branch's old tip a non-fast-forward.

            Conductor-Fence: \(task.task.id)
            """
        let commit = try repository.commit(tree: repository.treeID(of: tip), parent: tip, message: message, signaturesOf: tip)
        try repository.createBranch(fenced, at: commit, force: true)
        defer { try? repository.deleteBranch(fenced, base: commit, force: true) }
        switch try pushReporting(fenced, from: repository) {
        case .pushed, .upToDate: return true
        case .rejected(_, remoteMoved: true): return false
        case .rejected(let reason, remoteMoved: false):
            throw RemoteTaskError("the remote \(task.remote) refused the fence on \(fenced): \(reason)")
        }
    }

    /// Pushes the worker's branch, whose tip holds the task's `commits` (oldest first) made on
    /// top of `start`; nil when the remote has them, else why not.
    ///
    /// The remote's branch may have gained fences since the task started: a worker retrying a
    /// task this one held before (and lost the lease of) fenced it. A fence changes no file, so
    /// the task's commits are made again on top of the fences, with the same trees, messages and
    /// authors, `commits` then names the new ones, and the push is tried again. A fence for this
    /// very task (a newer attempt owns it), or any other commit, is left alone and the push fails.
    func push(_ repository: Repository, start: ObjectID, commits: inout [String], seq: Int) -> String? {
        var lastReason = ""
        do {
            for _ in 0..<3 {
                switch try pushReporting(branch, from: repository) {
                case .pushed, .upToDate: return nil
                case .rejected(let reason, remoteMoved: false): return "the remote refused \(branch): \(reason); the task's commits stay on this host"
                case .rejected(let reason, remoteMoved: true):
                    lastReason = reason
                    try fetch(repository)
                    guard let tip = try remoteTip(of: worker, in: repository), try onlyOtherTasksFences(from: start, to: tip, in: repository) else {
                        return "the remote's \(branch) moved (\(reason)) with commits that are not fences for other tasks (a newer attempt of this task fenced it, or someone pushed); the task's commits stay on this host"
                    }
                    commits = try replay(commits, onto: tip, in: repository, seq: seq)
                }
            }
            return "the remote's \(branch) kept moving while this worker pushed (the last refusal: \(lastReason))"
        } catch {
            return "\(error)"
        }
    }

    /// Pushes `branch` to the remote, and tells `notice` of a stale lock the push removed there
    /// (a host killed while it moved that branch left it); the push's status.
    private func pushReporting(_ branch: String, from repository: Repository) throws -> PushResult.Status {
        let result = try repository.push(branch: branch, toRemote: Self.remoteName, passwords: passwords)
        if let lock = result.removedStaleLock {
            notice("removed \(lock) on the remote: a push killed while it moved \(branch) left it: it stayed unchanged for \(Int(Repository.staleReferenceLockAge)) s while no conductor process was updating the branch")
        }
        return result.status
    }

    /// True when `tip` is `start` plus fences (which change no file) for tasks other than this one.
    private func onlyOtherTasksFences(from start: ObjectID, to tip: ObjectID, in repository: Repository) throws -> Bool {
        try repository.contains(start, in: tip) && repository.treeID(of: tip) == repository.treeID(of: start)
            && repository.commits(from: start, to: tip).allSatisfy { [task] commit in
                commit.trailer("Conductor-Fence").map { $0 != task.task.id } ?? false
            }
    }

    /// Makes `commits` again, in order, on top of `tip`, names each with a task ref, and moves the
    /// worktree's branch to the last (its files are those of the last one already); the new ids.
    private func replay(_ commits: [String], onto tip: ObjectID, in repository: Repository, seq: Int) throws -> [String] {
        var parent = tip
        var made: [String] = []
        for hex in commits {
            let commit = try ObjectID(hex: hex)
            parent = try repository.commit(tree: repository.treeID(of: commit), parent: parent, message: repository.message(of: commit),
                                           signaturesOf: commit)
            try repository.setReference(TaskRefs.name(branch: branch, seq: seq, task: task.task.id, commit: parent), to: parent,
                                        message: "conductor: task \(task.task.id) on top of a fence")
            made.append(parent.hex)
        }
        guard let worktree = TaskCommit.openCheckout(worktreePath) else {
            throw RemoteTaskError("the worktree \(worktreePath) is no longer a checkout of its own; \(branch) was not moved onto the fence")
        }
        try worktree.attachHead(to: branch, at: parent, message: "conductor: \(branch) on top of the remote's fence")
        return made
    }
}
