internal import CLibgit2
import FoundationEssentials
import FoundationShims

extension Repository {
    /// The identity used when git has no `user.name`/`user.email` configured.
    public static let fallbackIdentity = (name: "conductor", email: "conductor@localhost")

    /// The commit HEAD points to, or nil when the branch has no commits yet.
    public func headCommit() throws -> ObjectID? {
        var head: OpaquePointer?
        do {
            try check("git_repository_head") { git_repository_head(&head, pointer) }
        } catch let error as GitError where error.code == GIT_EUNBORNBRANCH.rawValue || error.isNotFound {
            return nil
        }
        defer { git_reference_free(head) }
        return git_reference_target(head).map(ObjectID.init)
    }

    /// Commits everything changed in the working directory, as `git add -A && git commit` would:
    /// new, modified and deleted files, `.gitignore` respected, on the branch HEAD points to.
    ///
    /// A directory that is a git repository of its own (a `git init` or `git clone` inside the
    /// working directory) is left out, uncommitted, and the rest is committed. A registered
    /// submodule is not such a directory: its new commit is recorded, as `git add -A` does.
    ///
    /// - Parameters:
    ///   - message: the commit message; its first line is the subject.
    ///   - trailers: `Key: value` lines appended after a blank line (e.g. `Conductor-Task`).
    ///   - skippedRepository: told the path of each nested repository left out (e.g. `vendor/lib/`).
    /// - Returns: the new commit, or nil when nothing changed (no commit is made).
    @discardableResult
    public func commitAll(message: String, trailers: [(key: String, value: String)] = [],
                          skippedRepository: (String) -> Void = { _ in }) throws -> ObjectID? {
        var index: OpaquePointer?
        try check("git_repository_index") { git_repository_index(&index, pointer) }
        defer { git_index_free(index) }
        let filter = AddAllFilter(root: workingDirectory) { path in
            git_index_get_bypath(index, path, 0).map { (path: String(cString: $0.pointee.path), mode: $0.pointee.mode) }
        }
        // One pass, as `git add -A`: libgit2 1.5 diffs the index against the working directory
        // once, and adds or removes each file the diff lists, deleted files included.
        _ = try withExtendedLifetime(filter) {
            try check("git_index_add_all") {
                git_index_add_all(index, nil, GIT_INDEX_ADD_DEFAULT.rawValue, { path, _, payload in
                    guard let path, let payload else { return 0 }
                    return Unmanaged<AddAllFilter>.fromOpaque(payload).takeUnretainedValue().skips(String(cString: path)) ? 1 : 0
                }, Unmanaged.passUnretained(filter).toOpaque())
            }
        }
        filter.skipped.forEach(skippedRepository)
        try check("git_index_write") { git_index_write(index) }
        var treeID = git_oid()
        try check("git_index_write_tree") { git_index_write_tree(&treeID, index) }

        let parentID = try headCommit()
        var parents: [OpaquePointer?] = []
        defer { parents.forEach { git_commit_free($0) } }
        if let parentID {
            let parent = try lookupCommit(parentID)
            parents.append(parent)
            if git_oid_equal(git_commit_tree_id(parent), &treeID) == 1 { return nil }
        } else if git_index_entrycount(index) == 0 {
            return nil
        }

        var tree: OpaquePointer?
        try check("git_tree_lookup") { git_tree_lookup(&tree, pointer, &treeID) }
        defer { git_tree_free(tree) }
        let signature = try defaultSignature()
        defer { git_signature_free(signature) }
        var text = message.trimmingTrailingNewlines()
        if !trailers.isEmpty {
            text += "\n\n" + trailers.map { "\($0.key): \($0.value)" }.joined(separator: "\n")
        }
        var commitID = git_oid()
        try check("git_commit_create") {
            git_commit_create(&commitID, pointer, "HEAD", signature, signature, nil, text + "\n", tree, parents.count, &parents)
        }
        return ObjectID(commitID)
    }

    /// The configured identity (`user.name`, `user.email`), else `fallbackIdentity`; the caller frees it.
    func defaultSignature() throws -> UnsafeMutablePointer<git_signature> {
        var signature: UnsafeMutablePointer<git_signature>?
        if git_signature_default(&signature, pointer) == 0, let signature { return signature }
        try check("git_signature_now") {
            git_signature_now(&signature, Self.fallbackIdentity.name, Self.fallbackIdentity.email)
        }
        return signature!
    }
}

/// Picks out, for `git_index_add_all`, the paths it must not add:
/// - directories that are repositories of their own: libgit2 cannot add them ("invalid path") and
///   would fail the whole commit;
/// - under `core.ignorecase`, a new file whose name differs from a tracked one's only by case:
///   the index finds the tracked entry for it, and libgit2 would give that entry this file's
///   bytes (`git add -A` leaves it out too).
private final class AddAllFilter {
    let root: String
    /// The index entry that the index finds for a path (its own path, as recorded, and its mode).
    let trackedEntry: (String) -> (path: String, mode: UInt32)?
    /// The nested repositories left out.
    private(set) var skipped: [String] = []

    init(root: String, trackedEntry: @escaping (String) -> (path: String, mode: UInt32)?) {
        self.root = root
        self.trackedEntry = trackedEntry
    }

    /// True when `path`, relative to the working directory, is to be left out: another case of a
    /// tracked path, or (remembered) an untracked directory (libgit2 names those with a trailing
    /// `/`) that holds a `.git` and is not a registered submodule. A tracked file that such a
    /// directory replaced is named without the `/`, and is removed from the index as any deleted file.
    func skips(_ path: String) -> Bool {
        if let tracked = trackedEntry(path), tracked.path != path { return true }
        guard path.hasSuffix("/") else { return false }
        let relative = String(path.dropLast())
        let directory = root + "/" + relative
        guard Path.isDirectory(directory), FileManager.default.fileExists(atPath: directory + "/.git"),
              trackedEntry(relative)?.mode != GIT_FILEMODE_COMMIT.rawValue else { return false }
        skipped.append(path)
        return true
    }
}
