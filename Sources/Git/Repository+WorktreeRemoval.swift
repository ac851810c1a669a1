internal import CLibgit2
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import FoundationShims

/// Something that stops a linked worktree from being removed, as `git worktree remove` checks.
public enum WorktreeRemovalBlocker: Sendable, Equatable, CustomStringConvertible {
    /// The worktree cannot be checked (its `.git` is gone, broken, or belongs to another entry).
    /// Force does not override this: what cannot be checked is kept.
    case unreadable(String)
    /// `git worktree lock` locked it, with the reason given (if any).
    case locked(String?)
    /// Files that are not committed.
    case uncommittedChanges([FileStatus])
    /// Populated submodules (by path): their commits live only in the worktree's git directory.
    case submodules([String])

    /// True when removing with force goes ahead despite this.
    public var isOverriddenByForce: Bool {
        if case .unreadable = self { return false }
        return true
    }

    /// One line without the file list, for reports that list the files separately.
    public var summary: String {
        if case .uncommittedChanges(let changes) = self { return "has \(changes.count) uncommitted change(s)" }
        return description
    }

    public var description: String {
        switch self {
        case .unreadable(let why):
            return "cannot be checked: \(why)"
        case .locked(let reason):
            return "is locked" + (reason.map { ": \($0)" } ?? "")
        case .uncommittedChanges(let changes):
            let listed = changes.prefix(10).map(\.description).joined(separator: ", ")
            let more = changes.count > 10 ? " and \(changes.count - 10) more" : ""
            return "has \(changes.count) uncommitted change(s): \(listed)\(more)"
        case .submodules(let paths):
            return "has submodules (\(paths.joined(separator: ", "))) whose commits are kept only in the worktree's git directory"
        }
    }
}

extension Repository {
    /// What stops the linked worktree `name` from being removed: the checks `git worktree remove`
    /// makes. Empty when removing it loses nothing.
    ///
    /// The worktree is opened by itself, never by searching parent directories: a worktree whose
    /// `.git` is gone is `unreadable`, not checked as whatever repository encloses it.
    ///
    /// - Throws: `GitError` when there is no such worktree or its status cannot be read.
    public func removalBlockers(ofWorktree name: String) throws -> [WorktreeRemovalBlocker] {
        var worktree: OpaquePointer?
        try check("git_worktree_lookup(\(name))") { git_worktree_lookup(&worktree, pointer, name) }
        defer { git_worktree_free(worktree) }
        var blockers: [WorktreeRemovalBlocker] = []
        var reason = git_buf()
        defer { git_buf_dispose(&reason) }
        if git_worktree_is_locked(&reason, worktree) > 0 {
            let text = reason.ptr.map { String(cString: $0).trimmed } ?? ""
            blockers.append(.locked(text.isEmpty ? nil : text))
        }
        let path = Self.trimmedPath(String(cString: git_worktree_path(worktree)))
        let admin = "\(worktreeAdminRoot)/\(name)"
        guard FileManager.default.fileExists(atPath: path) else { return blockers }
        let opened: Repository
        do {
            opened = try Repository.open(at: path, searchParents: false)
        } catch {
            return blockers + [.unreadable("\(error)")]
        }
        guard Self.samePath(opened.gitDirectory, admin) else {
            return blockers + [.unreadable("its .git points to \(opened.gitDirectory), not to this repository's entry \(admin)")]
        }
        let changes = try opened.uncommittedChanges()
        if !changes.isEmpty { blockers.append(.uncommittedChanges(changes)) }
        let submodules = try opened.populatedSubmodules()
        if !submodules.isEmpty || Path.isDirectory(admin + "/modules") {
            blockers.append(.submodules(submodules.isEmpty ? [admin + "/modules"] : submodules))
        }
        return blockers
    }

    /// Removes a linked worktree, its directory and its admin entry, after `removalBlockers`
    /// finds nothing in the way (or only what `force` overrides). The branch stays.
    ///
    /// - Throws: `GitError` naming what is in the way: uncommitted or untracked files, submodules,
    ///   a lock (unless `force`), or a `.git` that cannot be checked (even with `force`).
    public func removeWorktree(named name: String, force: Bool = false) throws {
        let refusing = try removalBlockers(ofWorktree: name).filter { !force || !$0.isOverriddenByForce }
        var worktree: OpaquePointer?
        try check("git_worktree_lookup(\(name))") { git_worktree_lookup(&worktree, pointer, name) }
        defer { git_worktree_free(worktree) }
        if !refusing.isEmpty {
            let path = Self.trimmedPath(String(cString: git_worktree_path(worktree)))
            let fix = refusing.allSatisfy(\.isOverriddenByForce)
                ? "commit or save that work, or force the removal"
                : "repair it (git -C \(workingDirectory) worktree repair \(path)) or remove it yourself"
            throw GitError.conductor(
                "remove worktree", "worktree '\(path)' " + refusing.map(\.description).joined(separator: "; ") + "; " + fix)
        }
        var options = git_worktree_prune_options()
        git_worktree_prune_options_init(&options, UInt32(GIT_WORKTREE_PRUNE_OPTIONS_VERSION))
        options.flags = GIT_WORKTREE_PRUNE_VALID.rawValue | GIT_WORKTREE_PRUNE_WORKING_TREE.rawValue
        if force { options.flags |= GIT_WORKTREE_PRUNE_LOCKED.rawValue }
        try check("git_worktree_prune(\(name))") { git_worktree_prune(worktree, &options) }
    }

    /// The paths of submodules checked out in this working directory (a gitlink in the index
    /// whose directory has a `.git`).
    private func populatedSubmodules() throws -> [String] {
        var index: OpaquePointer?
        try check("git_repository_index") { git_repository_index(&index, pointer) }
        defer { git_index_free(index) }
        return (0..<git_index_entrycount(index)).compactMap { position -> String? in
            guard let entry = git_index_get_byindex(index, position)?.pointee,
                  entry.mode == GIT_FILEMODE_COMMIT.rawValue else { return nil }
            let path = String(cString: entry.path)
            return FileManager.default.fileExists(atPath: "\(workingDirectory)/\(path)/.git") ? path : nil
        }
    }

    /// `path` without a trailing slash (libgit2 returns directories with one).
    static func trimmedPath(_ path: String) -> String {
        path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    /// True when two paths name the same file once symlinks are resolved.
    private static func samePath(_ a: String, _ b: String) -> Bool {
        func resolved(_ path: String) -> String {
            guard let real = realpath(path, nil) else { return trimmedPath(path) }
            defer { free(real) }
            return String(cString: real)
        }
        return resolved(a) == resolved(b)
    }
}
