internal import CLibgit2

/// What applying a change onto a commit gives (see `Repository.applyChange(from:to:onto:)`).
public enum ChangeApplication: Sendable, Equatable {
    /// The change applies; the tree holding the commit's files with the change made. It is the
    /// commit's own tree when the change is already there.
    case clean(tree: ObjectID)
    /// The change cannot be applied without conflicts in these paths.
    case conflicts([String])
}

extension Repository {
    /// Applies what changed from commit `from` to commit `to` onto commit `onto`, in memory, as
    /// `git cherry-pick from..to` would: a three-way merge of the trees with `from` as the
    /// ancestor. Nothing is written but the merged tree's objects; no ref, index or checkout moves.
    ///
    /// - Throws: `GitError` when a commit does not exist.
    public func applyChange(from: ObjectID, to: ObjectID, onto: ObjectID) throws -> ChangeApplication {
        try applyChange(from: from, to: to, ontoTree: treeID(of: onto))
    }

    /// Applies what changed from commit `from` to commit `to` onto the tree `tree` (the result of
    /// an earlier application, say), as `applyChange(from:to:onto:)` does onto a commit's tree.
    ///
    /// - Throws: `GitError` when a commit or the tree does not exist.
    public func applyChange(from: ObjectID, to: ObjectID, ontoTree tree: ObjectID) throws -> ChangeApplication {
        let index = try changeApplied(from: from, to: to, ontoTree: tree)
        defer { git_index_free(index) }
        let paths = try conflictedPaths(index)
        guard paths.isEmpty else { return .conflicts(paths) }
        var treeID = git_oid()
        try check("git_index_write_tree_to") { git_index_write_tree_to(&treeID, index, pointer) }
        return .clean(tree: ObjectID(treeID))
    }

    /// The paths in conflict when the change from commit `from` to commit `to` is applied onto
    /// commit `onto`, sorted; empty when it applies cleanly. Nothing is written. With `from` the
    /// only merge base of `onto` and `to`, this is the merge of `to` into `onto`.
    ///
    /// - Throws: `GitError` when a commit does not exist.
    public func conflicts(applying from: ObjectID, to: ObjectID, onto: ObjectID) throws -> [String] {
        let index = try changeApplied(from: from, to: to, ontoTree: treeID(of: onto))
        defer { git_index_free(index) }
        return try conflictedPaths(index)
    }

    /// The in-memory index of the three-way merge of `tree` and commit `to`'s tree, with commit
    /// `from`'s tree as the ancestor; the caller frees it.
    private func changeApplied(from: ObjectID, to: ObjectID, ontoTree tree: ObjectID) throws -> OpaquePointer {
        let ancestor = try lookupTree(ofCommit: from)
        defer { git_tree_free(ancestor) }
        let ours = try lookupTree(tree)
        defer { git_tree_free(ours) }
        let theirs = try lookupTree(ofCommit: to)
        defer { git_tree_free(theirs) }
        var options = git_merge_options()
        git_merge_options_init(&options, UInt32(GIT_MERGE_OPTIONS_VERSION))
        var index: OpaquePointer?
        try check("git_merge_trees(\(from.short)..\(to.short) onto tree \(tree.short))") {
            git_merge_trees(&index, pointer, ancestor, ours, theirs, &options)
        }
        return index!
    }

    /// The id of commit `commit`'s tree.
    public func treeID(of commit: ObjectID) throws -> ObjectID {
        let object = try lookupCommit(commit)
        defer { git_commit_free(object) }
        return ObjectID(git_commit_tree_id(object))
    }

    /// Commit `commit`'s whole message, trailers included, as stored.
    public func message(of commit: ObjectID) throws -> String {
        let object = try lookupCommit(commit)
        defer { git_commit_free(object) }
        return git_commit_message(object).map { String(cString: $0) } ?? ""
    }

    /// Writes a commit of `tree` with the single parent `parent`, with `message` and the author
    /// and committer (names, emails and times) of commit `source`; no ref moves.
    ///
    /// Taking the times from `source` makes the same pick onto the same parent the same commit
    /// each time it is made.
    ///
    /// - Throws: `GitError` when a commit or the tree does not exist.
    public func commit(tree: ObjectID, parent: ObjectID, message: String, signaturesOf source: ObjectID) throws -> ObjectID {
        let sourceCommit = try lookupCommit(source)
        defer { git_commit_free(sourceCommit) }
        let parentCommit = try lookupCommit(parent)
        defer { git_commit_free(parentCommit) }
        let treeObject = try lookupTree(tree)
        defer { git_tree_free(treeObject) }
        var parents: [OpaquePointer?] = [parentCommit]
        var commitID = git_oid()
        try check("git_commit_create") {
            git_commit_create(
                &commitID, pointer, nil, git_commit_author(sourceCommit), git_commit_committer(sourceCommit), nil,
                message.trimmingTrailingNewlines() + "\n", treeObject, parents.count, &parents)
        }
        return ObjectID(commitID)
    }

    /// Looks up a tree by its id; the caller frees it with `git_tree_free`.
    private func lookupTree(_ id: ObjectID) throws -> OpaquePointer {
        var oid = id.raw
        var tree: OpaquePointer?
        try check("git_tree_lookup(\(id.short))") { git_tree_lookup(&tree, pointer, &oid) }
        return tree!
    }
}
