internal import CLibgit2

extension Repository {
    /// The names of the configured remotes, sorted (`git remote`).
    public func remoteNames() throws -> [String] {
        var names = git_strarray()
        try check("git_remote_list") { git_remote_list(&names, pointer) }
        defer { git_strarray_dispose(&names) }
        return (0..<names.count).compactMap { names.strings[$0].map { String(cString: $0) } }.sorted()
    }

    /// The URL of remote `name` (`git remote get-url NAME`), or nil when there is no such remote.
    public func remoteURL(_ name: String) throws -> String? {
        var remote: OpaquePointer?
        do {
            try check("git_remote_lookup(\(name))") { git_remote_lookup(&remote, pointer, name) }
        } catch let error as GitError where error.isNotFound || error.code == GIT_EINVALIDSPEC.rawValue {
            return nil
        }
        defer { git_remote_free(remote) }
        return git_remote_url(remote).map { String(cString: $0) }
    }

    /// The remote local branch `branch` tracks (its `branch.<name>.remote`), or nil when it
    /// tracks none.
    public func upstreamRemote(ofBranch branch: String) throws -> String? {
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        do {
            try check("git_branch_upstream_remote(\(branch))") { git_branch_upstream_remote(&buffer, pointer, "refs/heads/" + branch) }
        } catch let error as GitError where error.isNotFound {
            return nil
        }
        return buffer.ptr.map { String(cString: $0) }
    }
}
