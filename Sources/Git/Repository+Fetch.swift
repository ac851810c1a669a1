internal import CLibgit2
import FoundationEssentials
import FoundationShims

extension Repository {
    /// Clones `url` into `path` (`git clone --no-checkout URL PATH`): every branch becomes a
    /// remote-tracking branch of remote `origin`, and no file is written into `path` (its
    /// worktrees are where files go). Credentials come as for `push`.
    ///
    /// - Throws: `GitError` when `path` exists and is not empty, or the remote cannot be read.
    public static func clone(from url: String, to path: String, passwords: PasswordSource? = nil) throws -> Repository {
        Libgit2.ensureInitialized()
        var options = git_clone_options()
        try check("git_clone_options_init") { git_clone_options_init(&options, UInt32(GIT_CLONE_OPTIONS_VERSION)) }
        options.checkout_opts.checkout_strategy = GIT_CHECKOUT_NONE.rawValue
        var handle: OpaquePointer?
        try withCredentials(passwords, url: url, operation: "clone \(url)", callbacks: options.fetch_opts.callbacks) { callbacks in
            options.fetch_opts.callbacks = callbacks
            try check("git_clone(\(url))") { git_clone(&handle, url, path, &options) }
        }
        git_repository_free(handle)
        return try open(at: path, searchParents: false)
    }

    /// Fetches remote `remoteName` with its configured refspecs (`git fetch --prune R`): its
    /// remote-tracking branches are set to the remote's branches, and those whose branch is gone
    /// are deleted. Credentials come as for `push`.
    ///
    /// - Throws: `GitError` when the remote does not exist or cannot be reached.
    public func fetch(remote remoteName: String, passwords: PasswordSource? = nil) throws {
        var remote: OpaquePointer?
        try check("git_remote_lookup(\(remoteName))") { git_remote_lookup(&remote, pointer, remoteName) }
        defer { git_remote_free(remote) }
        let url = git_remote_url(remote).map { String(cString: $0) } ?? remoteName
        var options = git_fetch_options()
        try check("git_fetch_options_init") { git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)) }
        options.prune = GIT_FETCH_PRUNE
        try Self.withCredentials(passwords, url: url, operation: "fetch \(remoteName)", callbacks: options.callbacks) { callbacks in
            options.callbacks = callbacks
            try Self.retryingVanishedReferences {
                try check("git_remote_fetch(\(remoteName))") { git_remote_fetch(remote, nil, &options, "conductor: fetch") }
            }
        }
    }

    /// Runs `body` with `callbacks` made to ask for credentials as `push` does; a failure to give
    /// them is reported in words, and the password source learns whether its password worked.
    private static func withCredentials(_ passwords: PasswordSource?, url: String, operation: String,
                                        callbacks: git_remote_callbacks, _ body: (git_remote_callbacks) throws -> Void) throws {
        let credentials = RemoteCredentials(passwords: passwords)
        var callbacks = callbacks
        callbacks.payload = Unmanaged.passUnretained(credentials).toOpaque()
        callbacks.credentials = { out, url, username, allowed, payload in
            RemoteCredentials.of(payload).credential(out, url: url.map { String(cString: $0) } ?? "",
                                                     username: username.map { String(cString: $0) }, allowed: allowed)
        }
        try withExtendedLifetime(credentials) {
            do {
                try body(callbacks)
            } catch {
                credentials.finish(url: url, worked: false)
                if let failure = credentials.failure { throw GitError.conductor(operation, "\(url): \(failure)") }
                throw error
            }
            credentials.finish(url: url, worked: true)
        }
    }
}
