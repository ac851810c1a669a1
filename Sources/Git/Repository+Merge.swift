internal import CLibgit2

/// How far a branch's work has reached the base.
public enum MergeState: Sendable, Equatable {
    /// Every commit of the branch is reachable from the base.
    case merged
    /// The commits are not in the base, but their changes are: merging would change nothing.
    case squashMerged
    /// The branch has work that the base lacks.
    case unmerged(commitsAhead: Int)

    /// True for `.merged` and `.squashMerged`: deleting the branch loses nothing.
    public var isMerged: Bool {
        if case .unmerged = self { return false }
        return true
    }
}

extension Repository {
    /// The paths that would conflict if `theirs` were merged into `ours`, found by an in-memory
    /// merge (nothing is checked out or written). Empty when the merge is clean, and without
    /// merging when one commit is an ancestor of the other (a fast-forward cannot conflict).
    ///
    /// - Throws: `GitError` when the two commits share no history.
    public func conflicts(between ours: ObjectID, and theirs: ObjectID) throws -> [String] {
        if contains(ours, in: theirs) || contains(theirs, in: ours) { return [] }
        let index = try mergedIndex(ours, theirs)
        defer { git_index_free(index) }
        return try conflictedPaths(index)
    }

    /// The paths an in-memory merge's index holds conflicts for, sorted; empty when it has none.
    func conflictedPaths(_ index: OpaquePointer) throws -> [String] {
        guard git_index_has_conflicts(index) == 1 else { return [] }
        var iterator: OpaquePointer?
        try check("git_index_conflict_iterator_new") { git_index_conflict_iterator_new(&iterator, index) }
        defer { git_index_conflict_iterator_free(iterator) }
        var paths = Set<String>()
        var ancestor: UnsafePointer<git_index_entry>?
        var ourEntry: UnsafePointer<git_index_entry>?
        var theirEntry: UnsafePointer<git_index_entry>?
        while git_index_conflict_next(&ancestor, &ourEntry, &theirEntry, iterator) == 0 {
            if let entry = ourEntry ?? theirEntry ?? ancestor {
                paths.insert(String(cString: entry.pointee.path))
            }
        }
        return paths.sorted()
    }

    /// Whether the work of `tip` is already in `base`: reachable from it, squash-merged (merging
    /// would leave base's tree unchanged), or not, with the number of commits only `tip` has.
    public func mergeState(of tip: ObjectID, into base: ObjectID) throws -> MergeState {
        var tipID = tip.raw
        var baseID = base.raw
        if tip == base || git_graph_descendant_of(pointer, &baseID, &tipID) == 1 { return .merged }
        if git_graph_descendant_of(pointer, &tipID, &baseID) == 1 {
            // Merging a descendant gives its own tree: squash-merged only when that is base's tree.
            if try treeID(of: tip) == treeID(of: base) { return .squashMerged }
        } else if let index = try? mergedIndex(base, tip) {
            defer { git_index_free(index) }
            var treeID = git_oid()
            if git_index_has_conflicts(index) == 0,
               git_index_write_tree_to(&treeID, index, pointer) == 0 {
                let baseCommit = try lookupCommit(base)
                defer { git_commit_free(baseCommit) }
                if git_oid_equal(git_commit_tree_id(baseCommit), &treeID) == 1 { return .squashMerged }
            }
        }
        var ahead = 0, behind = 0
        try check("git_graph_ahead_behind") { git_graph_ahead_behind(&ahead, &behind, pointer, &tipID, &baseID) }
        return .unmerged(commitsAhead: ahead)
    }

    /// The index an in-memory merge of `theirs` into `ours` produces; the caller frees it.
    func mergedIndex(_ ours: ObjectID, _ theirs: ObjectID) throws -> OpaquePointer {
        let ourCommit = try lookupCommit(ours)
        defer { git_commit_free(ourCommit) }
        let theirCommit = try lookupCommit(theirs)
        defer { git_commit_free(theirCommit) }
        var options = git_merge_options()
        git_merge_options_init(&options, UInt32(GIT_MERGE_OPTIONS_VERSION))
        var index: OpaquePointer?
        try check("git_merge_commits(\(ours.short), \(theirs.short))") {
            git_merge_commits(&index, pointer, ourCommit, theirCommit, &options)
        }
        return index!
    }
}
