internal import CLibgit2
import Synchronization

extension Repository {
    /// Serializes ref and config writes made by this process: libgit2 takes lock files for them and
    /// fails rather than waits when two threads write at once.
    static let referenceWrites = Mutex(())

    /// The commit a local branch points to, or nil when the branch does not exist.
    public func branchTip(_ name: String) throws -> ObjectID? {
        var reference: OpaquePointer?
        do {
            try check("git_branch_lookup(\(name))") { git_branch_lookup(&reference, pointer, name, GIT_BRANCH_LOCAL) }
        } catch let error as GitError where error.isNotFound {
            return nil
        } catch let error as GitError where error.code == GIT_EINVALIDSPEC.rawValue {
            throw GitError.conductor("look up branch", "'\(name)' is not a valid branch name")
        }
        defer { git_reference_free(reference) }
        var resolved: OpaquePointer?
        try check("git_reference_resolve(\(name))") { git_reference_resolve(&resolved, reference) }
        defer { git_reference_free(resolved) }
        return ObjectID(git_reference_target(resolved))
    }

    /// The short names of the local branches, sorted, optionally only those starting with `prefix`.
    public func branchNames(prefix: String = "") throws -> [String] {
        var iterator: OpaquePointer?
        try check("git_branch_iterator_new") { git_branch_iterator_new(&iterator, pointer, GIT_BRANCH_LOCAL) }
        defer { git_branch_iterator_free(iterator) }
        var names: [String] = []
        var reference: OpaquePointer?
        var type = GIT_BRANCH_LOCAL
        while git_branch_next(&reference, &type, iterator) == 0 {
            let name = String(cString: git_reference_shorthand(reference))
            git_reference_free(reference)
            if name.hasPrefix(prefix) { names.append(name) }
        }
        return names.sorted()
    }

    /// True when `name` is acceptable to git as a branch name (`git check-ref-format --branch`).
    public static func isValidBranchName(_ name: String) -> Bool {
        Libgit2.ensureInitialized()
        var valid: Int32 = 0
        return git_reference_name_is_valid(&valid, "refs/heads/" + name) == 0 && valid == 1
    }

    /// Creates local branch `name` at `commit`.
    ///
    /// - Throws: `GitError` when the name is invalid or the branch exists (unless `force`).
    public func createBranch(_ name: String, at commit: ObjectID, force: Bool = false) throws {
        guard Self.isValidBranchName(name) else {
            throw GitError.conductor("create branch", "'\(name)' is not a valid branch name")
        }
        let target = try lookupCommit(commit)
        defer { git_commit_free(target) }
        var reference: OpaquePointer?
        _ = try Self.referenceWrites.withLock { _ in
            try check("git_branch_create(\(name))") {
                git_branch_create(&reference, pointer, name, target, force ? 1 : 0)
            }
        }
        git_reference_free(reference)
    }

    /// Deletes local branch `name`, and with it `references`: refs (full names) that record
    /// commits of the branch's work, deleted only together with it.
    ///
    /// Without `force` it refuses when the work of the branch or of any of the references is not
    /// in `base` (see `mergeState(of:into:)`), saying how many commits would be lost and which
    /// references hold commits the branch lacks.
    ///
    /// - Throws: `GitError` when that work is unmerged (without `force`), the branch is checked
    ///   out in a worktree, or does not exist.
    public func deleteBranch(_ name: String, base: ObjectID, force: Bool = false, references: [String] = []) throws {
        guard let tip = try branchTip(name) else {
            throw GitError.conductor("delete branch", "branch '\(name)' does not exist")
        }
        if !force { try refuseUnmergedWork(of: "branch '\(name)'", tip: tip, references: references, base: base) }
        try deleteBranchUnchecked(name)
        try deleteReferences(references)
    }

    /// Deletes local branch `name` without the merged-ness check: the last step of
    /// `deleteBranch`, and the rollback of a branch this process made.
    func deleteBranchUnchecked(_ name: String) throws {
        var reference: OpaquePointer?
        try check("git_branch_lookup(\(name))") { git_branch_lookup(&reference, pointer, name, GIT_BRANCH_LOCAL) }
        defer { git_reference_free(reference) }
        _ = try Self.referenceWrites.withLock { _ in
            try check("git_branch_delete(\(name))") { git_branch_delete(reference) }
        }
    }
}
