internal import CLibgit2
import FoundationEssentials
import FoundationShims

/// Pushes to a remote that libgit2 reaches with its local transport (a path or a `file://` URL).
///
/// That transport (1.5's `local_push_update_remote_ref`) moves the remote branch without checking
/// where it points, and deletes whatever it points at: a push or deletion that another push
/// overtook after negotiation would overwrite or delete that push's commits. So libgit2 only
/// copies the objects here, to a reference of the push's own, and the branch is then moved (or
/// deleted) in the remote repository itself with a compare-and-swap, as git's receive-pack does.
extension Repository {
    /// How long, in seconds, a push watches the lock file of a path remote's branch stay the same,
    /// while no conductor process is updating that branch (see `ReferenceLock`), before it takes
    /// it for one a killed process left and removes it. git and libgit2 hold such a lock for the
    /// moment of an update.
    public static let staleReferenceLockAge: TimeInterval = 5
    /// How long a push or a deletion on a path remote waits for its branch: for another conductor
    /// process's update, then for a lock file to prove stale.
    private static let referenceUpdateWait = staleReferenceLockAge + 2

    /// The path of the repository that `url` names when libgit2 reaches it with its local
    /// transport, else nil. The choice is libgit2's (1.5's `transport_find_fn`): a `file://` URL,
    /// or a URL without `:` (no other transport's) that is an existing directory.
    static func localRepositoryPath(ofRemoteURL url: String) -> String? {
        guard url.hasPrefix("file://") else {
            return !url.contains(":") && Path.isDirectory(url) ? url : nil
        }
        var path = url.dropFirst("file://".count)
        if path.hasPrefix("localhost/") { path = path.dropFirst("localhost".count) }
        // A URL libgit2 refuses (no absolute path) is left to libgit2, to say so.
        guard path.hasPrefix("/") else { return nil }
        return percentDecoded(path)
    }

    /// `text` with each `%XX` replaced by the byte it encodes and the rest kept, as libgit2's
    /// `git__percent_decode` reads a `file://` URL.
    private static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var rest = text.utf8
        while let byte = rest.popFirst() {
            let digits = rest.prefix(2)
            if byte == UInt8(ascii: "%"), digits.count == 2, digits.allSatisfy({ Character(Unicode.Scalar($0)).isHexDigit }),
               let value = UInt8(String(decoding: digits, as: UTF8.self), radix: 16) {
                bytes.append(value)
                rest = rest.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Pushes local branch `branch` at `tip` to the repository at `path`, which `remote` (named
    /// `remoteName`) reaches with the local transport; the result means what `push`'s does.
    func pushToLocalRemote(branch: String, tip: ObjectID, remote: OpaquePointer?, named remoteName: String, at path: String,
                           progress: ((PushProgress) -> Void)?) throws -> PushResult {
        let name = "refs/heads/" + branch
        let moved = try Self.withLocalRepository(at: path, for: "push \(branch) to \(remoteName)") { destination -> (status: PushResult.Status, removedStaleLock: String?) in
            if try Self.referenceTarget(name, in: destination) == tip { return (.upToDate, nil) }
            let carrier = "refs/conductor-push/" + String(UInt64.random(in: .min ... .max), radix: 16)
            // Removed even when the push fails halfway; a carrier left behind would only keep
            // objects alive, so a failure to remove it is not the push's failure.
            defer { git_reference_remove(destination, carrier) }
            let callbacks = PushCallbacks(passwords: nil, progress: progress)
            try Self.push(refspec: "\(name):\(carrier)", to: remote, named: remoteName, session: callbacks)
            if let rejection = callbacks.rejection {
                throw GitError.conductor("push \(branch) to \(remoteName)", "\(path): copying the commits to \(carrier) failed: \(rejection)")
            }
            return try Self.fastForward(name, to: tip, in: destination, at: path)
        }
        let status = moved.status
        if case .pushed = status, let tracking = try trackingReference(of: name, remote: remote) {
            try setReference(tracking, to: tip, message: "update by push")
        }
        var result = PushResult(branch: branch, tip: tip, status: status)
        result.removedStaleLock = moved.removedStaleLock
        return result
    }

    /// Deletes branch `branch` of the repository at `path`, which `remote` (named `remoteName`)
    /// reaches with the local transport, only while it points at `expected`; the result means what
    /// `deleteRemoteBranch`'s does. A branch's lock file is waited for, and removed once stale, as
    /// a push does.
    ///
    /// - Throws: `GitError` when another conductor process kept updating the branch (a stopped
    ///   one), naming the lock file when another tool kept it in use, or when `packed-refs.lock`
    ///   stayed (which any update of packed references takes, so it is never taken for stale).
    func deleteBranchOnLocalRemote(_ branch: String, expected: ObjectID, remote: OpaquePointer?, named remoteName: String,
                                   at path: String) throws -> Bool {
        let name = "refs/heads/" + branch
        let deleted = try Self.deleteWaitingForLocks(name, at: expected, ofRepositoryAt: path, for: "delete \(branch) on \(remoteName)")
        // This repository's own tracking branch, after: its locks are not the remote's.
        if deleted, let tracking = try trackingReference(of: name, remote: remote) {
            try deleteReferences([tracking])
        }
        return deleted
    }

    /// Deletes reference `name` of the bare repository at `path` if it points at `expected`, as
    /// `deleteReference` does, under its `ReferenceUpdateLock`, waiting for its lock file (and
    /// removing it once stale) until the deadline; `operation` names the deletion in errors.
    private static func deleteWaitingForLocks(_ name: String, at expected: ObjectID, ofRepositoryAt path: String,
                                              for operation: String) throws -> Bool {
        let files = try withLocalRepository(at: path, for: operation) { String(cString: git_repository_commondir($0)) }
        let deadline = ContinuousClock.now + .seconds(referenceUpdateWait)
        let updates = try ReferenceUpdateLock(reference: name, inRepositoryFiles: files)
        guard updates.acquire(until: deadline) else { throw GitError.conductor(operation, updateInProgress(name, of: path)) }
        defer { updates.release() }
        let lock = ReferenceLock(reference: name, inRepositoryFiles: files)
        while true {
            // A repository handle of its own for each try: after a deletion failed on the lock of
            // `packed-refs`, 1.5 "deletes" the branch on the same handle without touching the file.
            do {
                return try withLocalRepository(at: path, for: operation) {
                    try deleteReference(name, at: expected, in: $0, at: path, for: operation)
                }
            } catch let error as GitError where error.code == GIT_ELOCKED.rawValue {
                let wait = ContinuousClock.now < deadline
                    ? lock.waitForRelease(staleAfter: .seconds(staleReferenceLockAge), until: deadline) : .held
                if wait == .held || (wait == .released && ContinuousClock.now >= deadline) {
                    let reason = FileManager.default.fileExists(atPath: lock.path)
                        ? lockInUse(name, of: path, lock: lock)
                        : "deleting \(name) of \(path) stayed blocked for \(Int(referenceUpdateWait)) s: \(error.message); if no git process is using that repository, a killed one left that lock: remove it, then try again"
                    throw GitError.conductor(operation, reason)
                }
            }
        }
    }

    /// Deletes reference `name` of `repository` (the repository at `path`) if it points at
    /// `expected`: true when it is gone (also when it was already), false when it points elsewhere.
    ///
    /// - Throws: `GitError` `GIT_ELOCKED` when its lock or that of `packed-refs` is held, and
    ///   any other `GitError` when the deletion failed and the branch is still at `expected`.
    private static func deleteReference(_ name: String, at expected: ObjectID, in repository: OpaquePointer,
                                        at path: String, for operation: String) throws -> Bool {
        var reference: OpaquePointer?
        do {
            try check("git_reference_lookup(\(name))") { git_reference_lookup(&reference, repository, name) }
        } catch let error as GitError where error.isNotFound {
            return true
        }
        defer { git_reference_free(reference) }
        guard git_reference_target(reference).map(ObjectID.init) == expected else { return false }
        do {
            // Deletes only while the branch is at the commit it was looked up at, under its lock.
            _ = try referenceWrites.withLock { _ in try check("git_reference_delete(\(name))") { git_reference_delete(reference) } }
        } catch let error as GitError where error.code == GIT_EMODIFIED.rawValue {
            return false
        } catch let error as GitError where error.isNotFound {
            return true
        } catch let error as GitError where error.code != GIT_ELOCKED.rawValue {
            // After deleting, 1.5 removes the branch's directories if empty, and fails when a
            // push made the branch again meanwhile: the deletion itself happened. Asked on a new
            // handle: this one dropped a packed branch from its cache before writing `packed-refs`,
            // and keeps it dropped when that write failed.
            let now = try withLocalRepository(at: path, for: operation) { try referenceTarget(name, in: $0) }
            guard now == expected else { return true }
            throw GitError(code: error.code, errorClass: error.errorClass,
                           message: "deleting \(name) of \(path) failed, so the branch stays: \(error.message)", operation: operation)
        }
        return true
    }

    /// Moves branch `name` of `destination` (the repository at `path`) to `tip` if that is a
    /// fast-forward from where the branch points now, or makes it if it does not exist, unless
    /// another push changes it first. A branch locked by another update is waited for, and its
    /// lock removed once stale (see `staleReferenceLockAge`); the path of a lock removed so is returned.
    private static func fastForward(_ name: String, to tip: ObjectID, in destination: OpaquePointer,
                                    at path: String) throws -> (status: PushResult.Status, removedStaleLock: String?) {
        let current = try Self.referenceTarget(name, in: destination)
        if current == tip { return (.upToDate, nil) }
        if let current {
            var tipID = tip.raw
            var currentID = current.raw
            let descends = try check("git_graph_descendant_of(\(tip.short), \(current.short))") {
                git_graph_descendant_of(destination, &tipID, &currentID)
            }
            guard descends == 1 else {
                return (.rejected("non-fast-forward: \(name) of \(path) is at \(current.short), which \(tip.short) does not contain; fetch first",
                                  remoteMoved: true), nil)
            }
        }
        var tipID = tip.raw
        // A zero current id means "only if the branch does not exist"; libgit2 compares under the
        // branch's lock (a plain non-forced create checks before taking it).
        var currentID = current?.raw ?? git_oid()
        let files = String(cString: git_repository_commondir(destination))
        let deadline = ContinuousClock.now + .seconds(referenceUpdateWait)
        let updates = try ReferenceUpdateLock(reference: name, inRepositoryFiles: files)
        guard updates.acquire(until: deadline) else {
            return (.rejected("failed to update ref: " + updateInProgress(name, of: path), remoteMoved: false), nil)
        }
        defer { updates.release() }
        let lock = ReferenceLock(reference: name, inRepositoryFiles: files)
        var removedStaleLock: String?
        while true {
            var reference: OpaquePointer?
            do {
                _ = try referenceWrites.withLock { _ in
                    try check("git_reference_create_matching(\(name))") {
                        git_reference_create_matching(&reference, destination, name, &tipID, 1, &currentID, "push")
                    }
                }
                git_reference_free(reference)
                return (.pushed(previous: current), removedStaleLock)
            } catch let error as GitError where error.code == GIT_EMODIFIED.rawValue || error.isNotFound {
                // Not found: the branch was deleted meanwhile.
                return (.rejected("stale info: \(name) of \(path) moved from \(current?.short ?? "nothing") while this push was sent; fetch first",
                                  remoteMoved: true), removedStaleLock)
            } catch let error as GitError where error.code == GIT_ELOCKED.rawValue {
                let wait = ContinuousClock.now < deadline
                    ? lock.waitForRelease(staleAfter: .seconds(staleReferenceLockAge), until: deadline) : .held
                if wait == .removedStale { removedStaleLock = lock.path }
                guard wait == .held else { continue }
                return (.rejected("failed to update ref: " + lockInUse(name, of: path, lock: lock), remoteMoved: false), removedStaleLock)
            }
        }
    }

    /// Why reference `name` of the repository at `path` cannot be updated: another conductor
    /// process held its `ReferenceUpdateLock` for the whole wait.
    private static func updateInProgress(_ name: String, of path: String) -> String {
        "\(name) of \(path) is being updated by another conductor process, which has not finished for \(Int(referenceUpdateWait)) s (a stopped one?); try again once it is done"
    }

    /// Why reference `name` of the repository at `path` cannot be updated: `lock` stayed in use.
    private static func lockInUse(_ name: String, of path: String, lock: ReferenceLock) -> String {
        "\(name) of \(path) is locked by a process other than conductor's: \(lock.path) changed within the last \(Int(staleReferenceLockAge)) s; try again once that process is done"
    }

    /// Opens the bare repository at `path` (without searching parents) for `body`, `operation`.
    ///
    /// - Throws: `GitError` when it is not a bare repository: libgit2's local transport refuses
    ///   those too, as git refuses to move a branch that is checked out.
    private static func withLocalRepository<Value>(at path: String, for operation: String,
                                                   _ body: (OpaquePointer) throws -> Value) throws -> Value {
        var handle: OpaquePointer?
        try check("git_repository_open(\(path))") { git_repository_open(&handle, path) }
        defer { git_repository_free(handle) }
        guard git_repository_is_bare(handle) == 1 else {
            throw GitError.conductor(operation, "'\(path)' is not a bare repository, and conductor pushes to a path only when it is; make the remote with `git init --bare` or `git clone --bare`")
        }
        return try body(handle!)
    }

    /// The commit reference `name` of `repository` points at, or nil when it does not exist.
    private static func referenceTarget(_ name: String, in repository: OpaquePointer) throws -> ObjectID? {
        var id = git_oid()
        do {
            try check("git_reference_name_to_id(\(name))") { git_reference_name_to_id(&id, repository, name) }
        } catch let error as GitError where error.isNotFound {
            return nil
        }
        return ObjectID(id)
    }

    /// This repository's remote-tracking reference for `name` (a remote's branch), by `remote`'s
    /// first fetch refspec that maps it, as libgit2 finds it after a push; nil when none does.
    private func trackingReference(of name: String, remote: OpaquePointer?) throws -> String? {
        for index in 0..<git_remote_refspec_count(remote) {
            guard let refspec = git_remote_get_refspec(remote, index), git_refspec_direction(refspec) == GIT_DIRECTION_FETCH,
                  git_refspec_src_matches(refspec, name) == 1 else { continue }
            var buffer = git_buf()
            defer { git_buf_dispose(&buffer) }
            try check("git_refspec_transform(\(name))") { git_refspec_transform(&buffer, refspec, name) }
            return buffer.ptr.map { String(cString: $0) }
        }
        return nil
    }
}
