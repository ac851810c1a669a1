internal import CLibgit2

extension Repository {
    /// What `commit` changed relative to `base`, like `git diff --numstat -M base commit`.
    ///
    /// - Parameter includePatch: also return the unified diff text.
    public func diff(from base: ObjectID, to commit: ObjectID, includePatch: Bool = false) throws -> DiffSummary {
        try treeDiff(from: base, to: commit, includePatch: includePatch)
    }

    /// What `commit`'s tree changed relative to `base`'s; a nil `base` stands for the empty tree (a root commit's parent).
    func treeDiff(from base: ObjectID?, to commit: ObjectID, includePatch: Bool) throws -> DiffSummary {
        try withTreeDiff(from: base, to: commit) { try summarize($0, includePatch: includePatch) }
    }

    /// The paths `commit`'s tree changed relative to `base`'s, both names of a rename included:
    /// the paths of `diff(from:to:)`'s files and their old paths, found from the trees alone (no
    /// file content is read, so no rename detection is needed to name both sides).
    public func changedPaths(from base: ObjectID, to commit: ObjectID) throws -> Set<String> {
        try withTreeDiff(from: base, to: commit) { diff in
            var paths = Set<String>()
            for index in 0..<git_diff_num_deltas(diff) {
                let delta = git_diff_get_delta(diff, index)!.pointee
                paths.insert(String(cString: delta.old_file.path))
                paths.insert(String(cString: delta.new_file.path))
            }
            return paths
        }
    }

    /// Runs `read` on the diff of `base`'s tree (nil: the empty tree) to `commit`'s, while it lives.
    private func withTreeDiff<Value>(from base: ObjectID?, to commit: ObjectID, _ read: (OpaquePointer) throws -> Value) throws -> Value {
        let baseTree = try base.map(lookupTree(ofCommit:))
        defer { git_tree_free(baseTree) }
        let tree = try lookupTree(ofCommit: commit)
        defer { git_tree_free(tree) }
        var options = git_diff_options()
        git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION))
        var diff: OpaquePointer?
        try check("git_diff_tree_to_tree") { git_diff_tree_to_tree(&diff, pointer, baseTree, tree, &options) }
        defer { git_diff_free(diff) }
        return try read(diff!)
    }

    /// What the working directory holds relative to `base`, committed or not, untracked files
    /// included (`.gitignore` respected), like `git add -A --intent-to-add; git diff base`.
    public func diffWorkingDirectory(from base: ObjectID, includePatch: Bool = false) throws -> DiffSummary {
        let baseTree = try lookupTree(ofCommit: base)
        defer { git_tree_free(baseTree) }
        var options = git_diff_options()
        git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION))
        options.flags = GIT_DIFF_INCLUDE_UNTRACKED.rawValue | GIT_DIFF_RECURSE_UNTRACKED_DIRS.rawValue
            | GIT_DIFF_SHOW_UNTRACKED_CONTENT.rawValue
        var diff: OpaquePointer?
        try check("git_diff_tree_to_workdir_with_index") {
            git_diff_tree_to_workdir_with_index(&diff, pointer, baseTree, &options)
        }
        defer { git_diff_free(diff) }
        return try summarize(diff!, includePatch: includePatch)
    }

    /// The commits reachable from `tip` but not from `base`, oldest first (`git log --reverse base..tip`).
    public func commits(from base: ObjectID, to tip: ObjectID) throws -> [CommitSummary] {
        var walk: OpaquePointer?
        try check("git_revwalk_new") { git_revwalk_new(&walk, pointer) }
        defer { git_revwalk_free(walk) }
        git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_REVERSE.rawValue)
        var tipID = tip.raw
        var baseID = base.raw
        try check("git_revwalk_push") { git_revwalk_push(walk, &tipID) }
        try check("git_revwalk_hide") { git_revwalk_hide(walk, &baseID) }
        return try commitSummaries(of: walk)
    }

    /// Reads every commit a prepared revision walk yields, in its order.
    func commitSummaries(of walk: OpaquePointer?) throws -> [CommitSummary] {
        var commits: [CommitSummary] = []
        var next = git_oid()
        while git_revwalk_next(&next, walk) == 0 {
            commits.append(try commitSummary(ObjectID(next)))
        }
        return commits
    }

    private func summarize(_ diff: OpaquePointer, includePatch: Bool) throws -> DiffSummary {
        var findOptions = git_diff_find_options()
        git_diff_find_options_init(&findOptions, UInt32(GIT_DIFF_FIND_OPTIONS_VERSION))
        findOptions.flags = GIT_DIFF_FIND_RENAMES.rawValue
        try check("git_diff_find_similar") { git_diff_find_similar(diff, &findOptions) }
        var files: [FileChange] = []
        var patchText = includePatch ? "" : nil
        for index in 0..<git_diff_num_deltas(diff) {
            var patch: OpaquePointer?
            try check("git_patch_from_diff") { git_patch_from_diff(&patch, diff, index) }
            defer { git_patch_free(patch) }
            let delta = git_diff_get_delta(diff, index)!.pointee
            var context = 0, insertions = 0, deletions = 0
            if let patch {
                try check("git_patch_line_stats") { git_patch_line_stats(&context, &insertions, &deletions, patch) }
                if includePatch {
                    var buffer = git_buf()
                    try check("git_patch_to_buf") { git_patch_to_buf(&buffer, patch) }
                    patchText! += String(cString: buffer.ptr)
                    git_buf_dispose(&buffer)
                }
            }
            guard let status = Self.changeStatus(delta.status) else { continue }
            let path = String(cString: delta.new_file.path ?? delta.old_file.path)
            let oldPath = String(cString: delta.old_file.path)
            let modeChanged = delta.old_file.mode != 0 && delta.new_file.mode != 0 && delta.old_file.mode != delta.new_file.mode
            files.append(FileChange(
                path: path,
                oldPath: status == .renamed || status == .copied ? oldPath : nil,
                status: status,
                insertions: insertions,
                deletions: deletions,
                isBinary: delta.flags & GIT_DIFF_FLAG_BINARY.rawValue != 0,
                oldMode: modeChanged ? String(delta.old_file.mode, radix: 8) : nil,
                newMode: modeChanged ? String(delta.new_file.mode, radix: 8) : nil))
        }
        return DiffSummary(files: files, patch: patchText)
    }

    private static func changeStatus(_ delta: git_delta_t) -> ChangeStatus? {
        switch delta {
        case GIT_DELTA_ADDED, GIT_DELTA_UNTRACKED: .added
        case GIT_DELTA_DELETED: .deleted
        case GIT_DELTA_MODIFIED: .modified
        case GIT_DELTA_RENAMED: .renamed
        case GIT_DELTA_COPIED: .copied
        case GIT_DELTA_TYPECHANGE: .typeChanged
        default: nil
        }
    }
}
