internal import CLibgit2

extension Repository {
    /// The best common ancestor of two commits (`git merge-base a b`), or nil when their histories
    /// are unrelated.
    public func mergeBase(_ a: ObjectID, _ b: ObjectID) throws -> ObjectID? {
        var one = a.raw
        var two = b.raw
        var base = git_oid()
        do {
            try check("git_merge_base(\(a.short), \(b.short))") { git_merge_base(&base, pointer, &one, &two) }
        } catch let error as GitError where error.isNotFound {
            return nil
        }
        return ObjectID(base)
    }

    /// Every best common ancestor of `a` and `b`: one in most histories, several after
    /// criss-cross merges, none when they share no history.
    public func mergeBases(_ a: ObjectID, _ b: ObjectID) throws -> [ObjectID] {
        var one = a.raw
        var two = b.raw
        var bases = git_oidarray()
        do {
            try check("git_merge_bases(\(a.short), \(b.short))") { git_merge_bases(&bases, pointer, &one, &two) }
        } catch let error as GitError where error.isNotFound {
            return []
        }
        defer { git_oidarray_dispose(&bases) }
        return (0..<bases.count).map { ObjectID(bases.ids[$0]) }
    }

    /// Merges `theirs` into `ours` in memory and writes the result as a commit, moving no ref and
    /// touching no checkout or index file.
    ///
    /// When `theirs` is already contained in `ours` the result is `ours`; when `ours` is an ancestor
    /// of `theirs` it is `theirs` (a fast-forward). Otherwise a commit with parents `[ours, theirs]`
    /// is created, signed with git's identity or `fallbackIdentity`.
    ///
    /// - Parameter message: the merge commit's message.
    /// - Returns: the resulting commit, or nil when the merge has conflicts (no commit is made).
    /// - Throws: `GitError` when a commit does not exist or the two share no history.
    public func mergeCommit(ours: ObjectID, theirs: ObjectID, message: String) throws -> ObjectID? {
        if try ours == theirs || isDescendant(ours, of: theirs) { return ours }
        if try isDescendant(theirs, of: ours) { return theirs }
        guard try mergeBase(ours, theirs) != nil else {
            throw GitError.conductor(
                "merge \(theirs.short) into \(ours.short)", "the two commits share no history; conductor merges only related branches")
        }
        let index = try mergedIndex(ours, theirs)
        defer { git_index_free(index) }
        guard git_index_has_conflicts(index) == 0 else { return nil }
        let ourCommit = try lookupCommit(ours)
        defer { git_commit_free(ourCommit) }
        let theirCommit = try lookupCommit(theirs)
        defer { git_commit_free(theirCommit) }

        var treeID = git_oid()
        try check("git_index_write_tree_to") { git_index_write_tree_to(&treeID, index, pointer) }
        var tree: OpaquePointer?
        try check("git_tree_lookup") { git_tree_lookup(&tree, pointer, &treeID) }
        defer { git_tree_free(tree) }
        let signature = try defaultSignature()
        defer { git_signature_free(signature) }
        var parents: [OpaquePointer?] = [ourCommit, theirCommit]
        var commitID = git_oid()
        try check("git_commit_create") {
            git_commit_create(
                &commitID, pointer, nil, signature, signature, nil, message.trimmingTrailingNewlines() + "\n", tree,
                parents.count, &parents)
        }
        return ObjectID(commitID)
    }

    /// Points local branch `name` at `commit`, creating it or moving it (even backwards).
    ///
    /// A branch checked out anywhere is refused: moving it would leave that checkout's index and
    /// files out of step with its branch. Worktree entries are left as they are (stale ones of the
    /// user's included).
    ///
    /// - Throws: `GitError` when the name is invalid or the branch is checked out in the main
    ///   checkout or a linked worktree.
    public func setBranch(_ name: String, to commit: ObjectID) throws {
        guard let current = try branchTip(name) else {
            try createBranch(name, at: commit)
            return
        }
        if current == commit { return }
        var reference: OpaquePointer?
        try check("git_branch_lookup(\(name))") { git_branch_lookup(&reference, pointer, name, GIT_BRANCH_LOCAL) }
        defer { git_reference_free(reference) }
        if try check("git_branch_is_checked_out(\(name))", { git_branch_is_checked_out(reference) }) == 1 {
            let checkout = try worktrees().first { $0.branch == name }?.path ?? "the main checkout"
            throw GitError.conductor(
                "set branch",
                "branch '\(name)' is checked out in \(checkout); switch that checkout to another branch (git switch --detach) and try again")
        }
        try createBranch(name, at: commit, force: true)
    }

    /// True when `commit` has `ancestor` in its history (and is not `ancestor` itself).
    private func isDescendant(_ commit: ObjectID, of ancestor: ObjectID) throws -> Bool {
        var commitID = commit.raw
        var ancestorID = ancestor.raw
        return try check("git_graph_descendant_of(\(commit.short), \(ancestor.short))") {
            git_graph_descendant_of(pointer, &commitID, &ancestorID)
        } == 1
    }
}
