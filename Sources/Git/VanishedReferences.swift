internal import CLibgit2

extension GitError {
    /// A reference that went away while libgit2 read the references: 1.5's local transport lists
    /// every reference of a remote on a path, then reads each one, and one another process deletes
    /// in between (a concurrent push's temporary `refs/conductor-push/…`, a pruned branch) fails
    /// the whole fetch or push with "reference '…' not found".
    var isVanishedReference: Bool {
        errorClass == GIT_ERROR_REFERENCE.rawValue && message.hasSuffix("not found")
    }
}

extension Repository {
    /// Runs `transfer` (a fetch or a push) again, up to 10 times in all, while it fails because a
    /// reference of the remote vanished as it was listed (`GitError.isVanishedReference`).
    @discardableResult
    static func retryingVanishedReferences<Value>(_ transfer: () throws -> Value) throws -> Value {
        for _ in 1..<10 {
            do {
                return try transfer()
            } catch let error as GitError where error.isVanishedReference {
                continue
            }
        }
        return try transfer()
    }
}
