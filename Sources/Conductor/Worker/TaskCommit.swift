import FoundationEssentials
import FoundationShims
import Git
import Queue

/// The commit step of one task: commits what the task left in its worktree onto the worker's
/// branch, and records every commit of the task, the agent's own ones included.
///
/// It works in the worktree named by the request and nowhere else (no parent directories are
/// searched), and only on the worker's branch. An agent that moved HEAD is put back on the branch
/// when that loses nothing; otherwise the task is marked failed and its work left where it is.
/// Every task commit gets a ref (see `TaskRefs`), so no reset or checkout can drop it.
struct TaskCommit {
    let request: CommitRequest
    let assignment: TaskAssignment
    /// The top of the checkout committed in.
    let worktree: String
    /// The branch's commit when the task started: later commits on it are the task's.
    private let startTip: ObjectID?
    /// `refs/stash` when the task started: the stash is shared by every worktree of a repository.
    private let startStash: ObjectID?

    /// Reads the branch's commit before the task runs.
    init(request: CommitRequest, assignment: TaskAssignment, workerDirectory: String) {
        self.request = request
        self.assignment = assignment
        worktree = request.worktree ?? workerDirectory
        let checkout = Self.openCheckout(request.worktree ?? workerDirectory)
        startTip = request.branch.flatMap { branch in (try? checkout?.branchTip(branch)) ?? nil }
        startStash = checkout.flatMap(Self.stashTip)
    }

    private static func stashTip(_ repository: Repository) -> ObjectID? {
        (try? repository.references(prefix: "refs/stash"))?.first { $0.name == "refs/stash" }?.commit
    }

    /// Agents that `git stash` and `git stash pop` around a test run, in parallel worktrees, can
    /// take each other's stashed changes (or the user's): the stash belongs to the repository.
    private func stashWarning(_ repository: Repository) -> String? {
        guard Self.stashTip(repository) != startStash else { return nil }
        return "the task changed git's stash, which every worktree of the repository shares: stashed changes may have moved between tasks (or come from yours); look with: git -C \(worktree) stash list"
    }

    /// The worktree whose top is `path`, or nil when it is not a worktree of its own any more:
    /// a `.git` that is gone never opens the repository around it, and one a task pointed at the
    /// main repository (or another worktree) never opens the user's checkout.
    static func openCheckout(_ path: String) -> Repository? {
        try? Repository.openLinkedWorktree(at: path)
    }

    /// A retry starts where its earlier attempt stopped: a worker that died (or was stopped)
    /// mid-task leaves that attempt's changes uncommitted in the worktree, and this attempt runs
    /// on top of them. That is recorded in a warning naming the files, so the task's commit is not
    /// taken for this attempt's work alone.
    func noteEarlierAttemptsLeftovers(into outcome: inout TaskOutcome) {
        guard assignment.attempt > 1, let repository = Self.openCheckout(worktree),
              let changes = try? repository.uncommittedChanges(), !changes.isEmpty else { return }
        let listed = changes.prefix(8).map(\.description).joined(separator: ", ") + (changes.count > 8 ? ", …" : "")
        outcome.ending.warn(["attempt \(assignment.attempt) started on top of \(changes.count) uncommitted change(s) an earlier attempt of this task left when it did not finish (\(listed)); they are part of this attempt's commit"])
    }

    /// When an earlier attempt of the task already committed its work (its worker died before the
    /// result was written), records those commits in `outcome` instead of running the task again.
    ///
    /// Only commits that carry this batch's and task's trailers and no `Conductor-Status` (the
    /// mark of a failed attempt) count.
    /// - Returns: true when the task must not run: its earlier commit is recorded.
    func recordEarlierAttempt(into outcome: inout TaskOutcome) -> Bool {
        // Only a retry (or a resumed task, whose attempts count on) can have an earlier attempt; a
        // new submission that reuses an id is a new task and runs.
        guard assignment.attempt > 1, let branch = request.branch, let base = request.base.flatMap({ try? ObjectID(hex: $0) }),
              let batch = request.trailer("Conductor-Batch"), let task = request.trailer("Conductor-Task"),
              let repository = Self.openCheckout(worktree) else { return false }
        let scopes = TaskRefs.batchScopes(ofBranch: branch)
        guard let found = try? repository.commits(underReferences: scopes, notIn: base).filter({
            $0.trailer("Conductor-Batch") == batch && $0.trailer("Conductor-Task") == task && $0.trailer("Conductor-Status") == nil
        }), let last = found.first else { return false }
        let commits = found.reversed().map(\.id)
        let holder = (try? repository.references(prefix: scopes[0]))?
            .first { repository.contains(last.id, in: $0.commit) }
            .map { String($0.name.dropFirst("refs/heads/".count)) }
        if let holder {
            let named = Set(((try? repository.references(prefix: TaskRefs.prefix(forBranch: holder))) ?? []).map(\.commit))
            for commit in commits where !named.contains(commit) {
                try? repository.setReference(TaskRefs.name(branch: holder, seq: assignment.seq, task: task, commit: commit), to: commit,
                                             message: "conductor: task \(task) committed by an earlier attempt")
            }
        }
        outcome.status = .done
        outcome.commit = last.id.hex
        outcome.commits = commits.map(\.hex)
        outcome.branch = holder
        outcome.warnings = ["not run again: an earlier attempt already committed its work as \(last.id.short)"
            + (holder.map { " on \($0)" } ?? "") + " before its worker stopped; that commit is recorded instead"]
        return true
    }

    /// Commits the task's changes and records the task's commits, branch and warnings in
    /// `outcome`; a failure marks the task failed, saying why.
    func commit(into outcome: inout TaskOutcome) {
        do {
            try commitChecked(into: &outcome)
        } catch {
            outcome.status = .error
            outcome.error = [outcome.error, "committing the task's changes failed: \(error)"].compactMap { $0 }.joined(separator: "; ")
        }
    }

    private func commitChecked(into outcome: inout TaskOutcome) throws {
        guard let repository = Self.openCheckout(worktree) else {
            throw TaskCommitError("the worktree \(worktree) is no longer a checkout of its own (its .git is missing or broken); nothing was committed and the task's changes are left there")
        }
        var trailers = request.trailers.compactMap { pair in pair.count == 2 ? (key: pair[0], value: pair[1]) : nil }
        // The trailer says how the task's process ended (a failed attempt's commit is not reused on a
        // retry); what the checks below find goes into the result, not into the commit.
        if outcome.status != .done { trailers.append((key: "Conductor-Status", value: outcome.status.rawValue)) }
        var warnings = [stashWarning(repository)].compactMap { $0 }
        let commitChanges = {
            try repository.commitAll(message: request.message, trailers: trailers) { path in
                warnings.append("\(path) is a git repository of its own (a git init or git clone inside the worktree); it was left out of the commit and stays uncommitted in \(worktree): copy its files in without its .git, or make it a submodule")
            }
        }
        guard let branch = request.branch else {
            // A session's worker without a branch to check against commits where its HEAD is.
            let commit = try commitChanges()
            outcome.commit = commit?.hex
            outcome.commits = commit.map { [$0.hex] }
            outcome.branch = try? repository.currentBranch()
            outcome.ending.warn(warnings)
            return
        }
        guard let startTip, let tip = try repository.branchTip(branch) else {
            throw TaskCommitError("branch \(branch) is missing in \(worktree) (or was when the task started); nothing was committed and the task's changes are left there")
        }
        let head = try repository.head()
        var onBranch = head.branch == branch
        if !onBranch {
            let place = (head.branch.map { "to branch '\($0)'" } ?? "to a detached HEAD") + (head.commit.map { " at \($0.short)" } ?? "")
            if let moved = head.commit, repository.contains(tip, in: moved) {
                try repository.attachHead(to: branch, at: moved, message: "conductor: task \(assignment.id) moved HEAD; back onto \(branch)")
                warnings.append("the task moved HEAD \(place); conductor moved \(branch) there and checked it out again (no file touched), so the task's work is on the worker's branch")
                onBranch = true
            } else {
                warnings.append("the task moved HEAD \(place), which does not hold \(branch) (at \(tip.short)); nothing was committed: the task's changes are left in \(worktree) and its commits are kept under \(TaskRefs.prefix(forBranch: branch))")
                outcome.status = .error
            }
        }
        let now = try repository.branchTip(branch) ?? tip
        for recorded in try repository.references(prefix: TaskRefs.prefix(forBranch: branch))
        where repository.contains(recorded.commit, in: startTip) && !repository.contains(recorded.commit, in: now) {
            warnings.append("commit \(recorded.commit.short) is no longer on \(branch): the task moved the branch back (a git reset?); \(recorded.name) keeps it; bring it back with: git -C \(worktree) merge \(recorded.commit.short)")
            outcome.status = .error
        }
        var commits: [ObjectID]
        if onBranch {
            _ = try commitChanges()
            let end = try repository.branchTip(branch) ?? now
            commits = try repository.commits(from: startTip, to: end).map(\.id)
        } else {
            // One ref on the moved HEAD keeps all of its history reachable.
            commits = head.commit.map { repository.contains($0, in: startTip) ? [] : [$0] } ?? []
        }
        for commit in commits {
            try repository.setReference(TaskRefs.name(branch: branch, seq: assignment.seq, task: assignment.id, commit: commit), to: commit,
                                        message: "conductor: task \(assignment.id)")
        }
        outcome.commits = commits.isEmpty ? nil : commits.map(\.hex)
        outcome.commit = commits.last?.hex
        outcome.branch = onBranch ? branch : head.branch
        outcome.ending.warn(warnings)
        if outcome.status == .error, outcome.error == nil {
            outcome.error = warnings.last
        }
    }
}

/// Why the commit step refused, worded for the task's result.
struct TaskCommitError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
