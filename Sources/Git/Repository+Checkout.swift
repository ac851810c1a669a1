internal import CLibgit2
import FoundationEssentials

extension Repository {
    /// Detaches HEAD at the commit it points to, leaving the index and every file as they are
    /// (`git switch --detach`): the checkout's branch is then free to move or be deleted.
    public func detachHead() throws {
        _ = try Self.referenceWrites.withLock { _ in
            try check("git_repository_detach_head") { git_repository_detach_head(pointer) }
        }
    }

    /// Puts this checkout on local branch `branch` at `commit` (the branch is created or moved
    /// there) and makes its files those of `commit`: only files that differ are written, files
    /// nobody tracks are removed, and ignored files (dependencies, build caches) stay.
    ///
    /// Tracked changes are overwritten: the caller checks there are none it must keep.
    public func switchCheckout(to branch: String, at commit: ObjectID, message: String) throws {
        let tree = try lookupTree(ofCommit: commit)
        defer { git_tree_free(tree) }
        var options = git_checkout_options()
        git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION))
        options.checkout_strategy = GIT_CHECKOUT_FORCE.rawValue | GIT_CHECKOUT_REMOVE_UNTRACKED.rawValue
        try check("git_checkout_tree(\(commit.short))") { git_checkout_tree(pointer, tree, &options) }
        try attachHead(to: branch, at: commit, message: message)
    }
}
