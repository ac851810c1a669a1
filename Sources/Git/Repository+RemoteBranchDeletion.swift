internal import CLibgit2

extension Repository {
    /// Deletes branch `branch` on remote `remoteName` only while it still points at `expected`
    /// (`git push --force-with-lease=B:EXPECTED R :B`): a branch that moved since it was judged
    /// (a late push) is left as it is, also when that push races this deletion (to a path or
    /// `file://` remote, see `deleteBranchOnLocalRemote`). Credentials come as for `push`.
    ///
    /// - Returns: false when the remote branch had moved and was left; true when it is gone
    ///   (also when it was gone already).
    /// - Throws: `GitError` when the remote does not exist, cannot be reached, refuses the
    ///   deletion (a protected branch), or authentication fails; for a path remote also when
    ///   another conductor process kept updating the branch (a stopped one), another tool kept
    ///   its lock or that of `packed-refs`, or the deletion failed with the branch still there.
    public func deleteRemoteBranch(_ branch: String, expected: ObjectID, onRemote remoteName: String,
                                   passwords: PasswordSource? = nil) throws -> Bool {
        var remote: OpaquePointer?
        try check("git_remote_lookup(\(remoteName))") { git_remote_lookup(&remote, pointer, remoteName) }
        defer { git_remote_free(remote) }
        let url = (git_remote_pushurl(remote) ?? git_remote_url(remote)).map { String(cString: $0) } ?? remoteName
        if let path = Self.localRepositoryPath(ofRemoteURL: url) {
            return try deleteBranchOnLocalRemote(branch, expected: expected, remote: remote, named: remoteName, at: path)
        }
        let session = DeletionSession(expected: expected, passwords: passwords)
        do {
            try Self.push(refspec: ":refs/heads/\(branch)", to: remote, named: remoteName, session: session)
        } catch let error as GitError {
            if let verdict = session.verdict { return verdict }
            session.finish(url: url, worked: false)
            if let failure = session.failure { throw GitError.conductor("delete \(branch) on \(remoteName)", "\(url): \(failure)") }
            throw error
        }
        session.finish(url: url, worked: true)
        if let rejection = session.rejection { throw GitError.conductor("delete \(branch) on \(remoteName)", "\(url): \(rejection)") }
        return true
    }
}

/// A lease-checked deletion's callbacks: the verdict of negotiation.
private final class DeletionSession: PushCallbacks {
    let expected: ObjectID
    /// Set when negotiation stopped the push: false when the branch moved, true when it was gone.
    var verdict: Bool?

    init(expected: ObjectID, passwords: PasswordSource?) {
        self.expected = expected
        super.init(passwords: passwords)
    }

    /// Stops the push (`GIT_EUSER`) unless the remote branch is still at `expected`.
    override func negotiate(_ updates: [git_push_update]) -> Int32 {
        guard var update = updates.first else {
            verdict = true
            return GIT_EUSER.rawValue
        }
        if git_oid_is_zero(&update.src) == 1 {
            verdict = true
            return GIT_EUSER.rawValue
        }
        guard ObjectID(update.src) == expected else {
            verdict = false
            return GIT_EUSER.rawValue
        }
        return 0
    }
}
