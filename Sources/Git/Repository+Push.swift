internal import CLibgit2
#if canImport(Glibc)
import Glibc
#endif

/// A user name and password for an https remote.
public struct UserPassword: Sendable, Equatable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }
}

/// Where a push gets a user name and password when an https remote asks for one (the git CLI
/// asks its credential helpers, `git credential fill`), and whom it tells whether they worked.
public protocol PasswordSource: AnyObject {
    /// A user name and password for `url`, or nil when there is none. `username` is the one
    /// the URL names, if any.
    func password(for url: String, username: String?) -> UserPassword?
    /// Says whether the server accepted `credential` for `url` (`git credential approve` or `reject`).
    func passwordWorked(_ credential: UserPassword, for url: String, _ worked: Bool)
}

/// How far the upload of a push is.
public struct PushProgress: Sendable, Equatable {
    /// Objects sent so far, and in all.
    public var current: Int
    public var total: Int
    /// Bytes sent so far.
    public var bytes: Int
}

/// What pushing one branch did.
public struct PushResult: Sendable, Equatable {
    public enum Status: Sendable, Equatable {
        /// The remote branch now points at the tip; `previous` is where it pointed before (nil
        /// when the push created it).
        case pushed(previous: ObjectID?)
        /// The remote branch already pointed at the tip; nothing was sent.
        case upToDate
        /// The remote branch did not move: the update was not a fast-forward (`remoteMoved`: the
        /// remote branch has commits the local one lacks), or the remote refused it (a hook, a
        /// protected branch, on a path remote a lock another process kept for the whole wait),
        /// with the reason.
        case rejected(String, remoteMoved: Bool)
    }

    /// The local branch pushed (the remote branch has the same name).
    public let branch: String
    /// The local branch's commit that was pushed.
    public let tip: ObjectID
    public let status: Status
    /// The lock file of the remote branch that this push removed as stale: it stayed unchanged for
    /// `Repository.staleReferenceLockAge` seconds while no conductor process was updating the branch
    /// (a push to a path remote killed mid-update leaves one); else nil.
    public var removedStaleLock: String? = nil
}

extension Repository {
    /// Pushes local branch `branch` to the branch of the same name on remote `remoteName`
    /// (refspec `refs/heads/B:refs/heads/B`), never forcing: a remote branch that has moved to
    /// commits this one lacks is left as it is and the result says `rejected`. The update applies
    /// only if the remote branch is still where it was, also when another push races this one,
    /// over every transport: to a path or `file://` remote the branch is moved in the remote
    /// repository itself (see `pushToLocalRemote`).
    ///
    /// Credentials come as the git CLI would find them: for ssh URLs from the ssh agent, for
    /// https URLs from `passwords` (git's credential helpers), told afterwards whether they
    /// worked. The remote-tracking branch (`refs/remotes/R/B`) follows, as after `git push`.
    ///
    /// - Parameter progress: called as the upload goes on (from libgit2's thread, synchronously).
    /// - Throws: `GitError` when the branch or the remote does not exist, the remote cannot be
    ///   reached, or authentication fails (naming what to set up).
    public func push(branch: String, toRemote remoteName: String, passwords: PasswordSource? = nil,
                     progress: ((PushProgress) -> Void)? = nil) throws -> PushResult {
        guard let tip = try branchTip(branch) else {
            throw GitError.conductor("push", "branch '\(branch)' does not exist in '\(workingDirectory)'")
        }
        var remote: OpaquePointer?
        try check("git_remote_lookup(\(remoteName))") { git_remote_lookup(&remote, pointer, remoteName) }
        defer { git_remote_free(remote) }
        let url = (git_remote_pushurl(remote) ?? git_remote_url(remote)).map { String(cString: $0) } ?? remoteName
        if let path = Self.localRepositoryPath(ofRemoteURL: url) {
            return try pushToLocalRemote(branch: branch, tip: tip, remote: remote, named: remoteName, at: path, progress: progress)
        }
        let session = PushSession(tip: tip, passwords: passwords, progress: progress)
        do {
            try Self.push(refspec: "refs/heads/\(branch):refs/heads/\(branch)", to: remote, named: remoteName, session: session)
        } catch let error as GitError {
            if session.isUpToDate { return PushResult(branch: branch, tip: tip, status: .upToDate) }
            session.finish(url: url, worked: false)
            if error.code == GIT_ENONFASTFORWARD.rawValue {
                return PushResult(branch: branch, tip: tip, status: .rejected(error.message, remoteMoved: true))
            }
            if let failure = session.failure { throw GitError.conductor("push \(branch) to \(remoteName)", "\(url): \(failure)") }
            throw error
        }
        session.finish(url: url, worked: true)
        if let rejection = session.rejection {
            // git's receive-pack words a lost race this way (`git push` prints the same).
            let moved = rejection.contains("non-fast-forward") || rejection.contains("fetch first") || rejection.contains("stale info")
                || rejection.contains("failed to update ref")
            return PushResult(branch: branch, tip: tip, status: .rejected(rejection, remoteMoved: moved))
        }
        return PushResult(branch: branch, tip: tip, status: .pushed(previous: session.remoteBefore))
    }
}

/// The state libgit2's push callbacks share, reached through their payload pointer: the
/// credentials, what negotiation decides (a subclass's `negotiate`), and the remote's refusal.
class PushCallbacks: RemoteCredentials {
    let progress: ((PushProgress) -> Void)?
    /// The remote's reason for refusing the update.
    var rejection: String?

    init(passwords: PasswordSource?, progress: ((PushProgress) -> Void)? = nil) {
        self.progress = progress
        super.init(passwords: passwords)
    }

    override class func of(_ payload: UnsafeMutableRawPointer?) -> PushCallbacks {
        Unmanaged<PushCallbacks>.fromOpaque(payload!).takeUnretainedValue()
    }

    /// Looks at the updates about to be sent; non-zero stops the push.
    func negotiate(_ updates: [git_push_update]) -> Int32 { 0 }
}

extension Repository {
    /// Pushes `refspec` to `remote` (named `remoteName`) with `session`'s callbacks.
    static func push(refspec: String, to remote: OpaquePointer?, named remoteName: String, session: PushCallbacks) throws {
        var options = git_push_options()
        try check("git_push_options_init") { git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION)) }
        options.callbacks.payload = Unmanaged.passUnretained(session).toOpaque()
        options.callbacks.credentials = { out, url, username, allowed, payload in
            PushCallbacks.of(payload).credential(out, url: url.map { String(cString: $0) } ?? "",
                                                 username: username.map { String(cString: $0) }, allowed: allowed)
        }
        options.callbacks.push_negotiation = { updates, count, payload in
            PushCallbacks.of(payload).negotiate((0..<count).compactMap { updates?[$0]?.pointee })
        }
        options.callbacks.push_update_reference = { _, status, payload in
            if let status { PushCallbacks.of(payload).rejection = String(cString: status) }
            return 0
        }
        if session.progress != nil {
            options.callbacks.push_transfer_progress = { current, total, bytes, payload in
                PushCallbacks.of(payload).progress?(PushProgress(current: Int(current), total: Int(total), bytes: bytes))
                return 0
            }
        }
        try withExtendedLifetime(session) {
            try refspec.withCString { spec in
                var strings: [UnsafeMutablePointer<CChar>?] = [UnsafeMutablePointer(mutating: spec)]
                try strings.withUnsafeMutableBufferPointer { buffer in
                    var specs = git_strarray(strings: buffer.baseAddress, count: 1)
                    try retryingVanishedReferences {
                        try check("git_remote_push(\(remoteName), \(refspec))") { git_remote_push(remote, &specs, &options) }
                    }
                }
            }
        }
    }
}

/// A branch push's callbacks: whether the remote branch is already at the tip, and where it was.
private final class PushSession: PushCallbacks {
    let tip: ObjectID
    /// Set when negotiation found the remote branch already at the tip; the push is then stopped.
    var isUpToDate = false
    /// Where the remote branch pointed before, when it existed.
    var remoteBefore: ObjectID?

    init(tip: ObjectID, passwords: PasswordSource?, progress: ((PushProgress) -> Void)?) {
        self.tip = tip
        super.init(passwords: passwords, progress: progress)
    }

    /// Notes where the remote branch was; stops the push (`GIT_EUSER`) when it is already at the tip.
    override func negotiate(_ updates: [git_push_update]) -> Int32 {
        guard var update = updates.first else { return 0 }
        let before = ObjectID(update.src)
        remoteBefore = git_oid_is_zero(&update.src) == 1 ? nil : before
        guard before == tip else { return 0 }
        isUpToDate = true
        return GIT_EUSER.rawValue
    }
}
