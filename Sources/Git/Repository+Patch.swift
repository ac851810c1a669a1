internal import CLibgit2

extension Repository {
    /// What commits `first` through `last` changed together, from the parent of `first` (the
    /// empty tree for a root commit) to `last`: `git diff -M first^ last`, or `git show` for one
    /// commit. Renames are detected; mode changes are reported (see `FileChange.oldMode`).
    ///
    /// - Parameter includePatch: also return the unified patch text, as `git diff` prints it
    ///   (`diff --git` headers, mode and rename lines, `Binary files … differ`, hunks).
    /// - Throws: `GitError` when a commit cannot be read.
    public func diff(ofCommits first: ObjectID, through last: ObjectID, includePatch: Bool = false) throws -> DiffSummary {
        try treeDiff(from: firstParent(of: first), to: last, includePatch: includePatch)
    }

    /// What `branch` changed since it left `base`: `git diff -M base...branch`, from their merge
    /// base to `branch`, so what `base` gained since is left out.
    ///
    /// - Parameter includePatch: also return the unified patch text.
    /// - Throws: `GitError` when the two share no history, or a commit cannot be read.
    public func diff(ofBranch branch: ObjectID, against base: ObjectID, includePatch: Bool = false) throws -> DiffSummary {
        guard let forkPoint = try mergeBase(base, branch) else {
            throw GitError.conductor("diff \(base.short)...\(branch.short)", "the two commits share no history, so there is no point where one left the other")
        }
        return try treeDiff(from: forkPoint, to: branch, includePatch: includePatch)
    }

    /// The first parent of `commit`, nil for a root commit.
    public func firstParent(of commit: ObjectID) throws -> ObjectID? {
        let handle = try lookupCommit(commit)
        defer { git_commit_free(handle) }
        guard git_commit_parentcount(handle) > 0, let parent = git_commit_parent_id(handle, 0) else { return nil }
        return ObjectID(parent)
    }
}
