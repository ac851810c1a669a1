internal import CLibgit2
import FoundationEssentials
import FoundationShims

extension Repository {
    /// Clones `url` into `path` (`git clone --no-checkout URL PATH`): every branch becomes a
    /// remote-tracking branch of remote `origin`, and no file is written into `path` (its
    /// worktrees are where files go).
    ///
    /// - Throws: `GitError` when `path` exists and is not empty, or the remote cannot be read.
    public static func clone(from url: String, to path: String) throws -> Repository {
        Libgit2.ensureInitialized()
        var options = git_clone_options()
        try check("git_clone_options_init") { git_clone_options_init(&options, UInt32(GIT_CLONE_OPTIONS_VERSION)) }
        options.checkout_opts.checkout_strategy = GIT_CHECKOUT_NONE.rawValue
        var handle: OpaquePointer?
        try check("git_clone(\(url))") { git_clone(&handle, url, path, &options) }
        git_repository_free(handle)
        return try open(at: path, searchParents: false)
    }

    /// Fetches remote `remoteName` with its configured refspecs (`git fetch --prune R`): its
    /// remote-tracking branches are set to the remote's branches, and those whose branch is gone
    /// are deleted.
    ///
    /// - Throws: `GitError` when the remote does not exist or cannot be reached.
    public func fetch(remote remoteName: String) throws {
        var remote: OpaquePointer?
        try check("git_remote_lookup(\(remoteName))") { git_remote_lookup(&remote, pointer, remoteName) }
        defer { git_remote_free(remote) }
        var options = git_fetch_options()
        try check("git_fetch_options_init") { git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)) }
        options.prune = GIT_FETCH_PRUNE
        try check("git_remote_fetch(\(remoteName))") { git_remote_fetch(remote, nil, &options, "conductor: fetch") }
    }
}
