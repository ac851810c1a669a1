internal import CLibgit2
import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

/// An open git repository (or one of its linked worktrees).
///
/// A `Repository` owns its libgit2 handle and is not thread-safe: use one per thread. Objects
/// derived from it (diffs, indexes) never outlive the call that made them.
public final class Repository {
    let pointer: OpaquePointer

    private init(pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        git_repository_free(pointer)
    }

    /// Opens the repository that contains `path`, searching parent directories as git does.
    ///
    /// - Parameter searchParents: false to open `path` itself only: a worktree whose `.git` is
    ///   gone or broken then fails to open instead of opening whatever repository encloses it.
    /// - Throws: `GitError` when `path` does not exist, is not inside a repository (or, without
    ///   the search, is not the top of one), or is a bare repository (conductor needs a working
    ///   directory to make worktrees from).
    public static func open(at path: String, searchParents: Bool = true) throws -> Repository {
        Libgit2.ensureInitialized()
        guard FileManager.default.fileExists(atPath: path) else {
            throw GitError.conductor("open repository", "'\(path)' does not exist")
        }
        var handle: OpaquePointer?
        let flags = searchParents ? 0 : GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue
        do {
            try check("git_repository_open_ext") { git_repository_open_ext(&handle, path, flags, nil) }
        } catch let error as GitError where error.isNotFound {
            throw GitError.conductor(
                "open repository",
                searchParents
                    ? "'\(path)' is not inside a git repository; run `git init` there or give the path of a repository"
                    : "'\(path)' is not the top of a git working directory (its .git is missing or broken)")
        }
        let repository = Repository(pointer: handle!)
        if repository.isBare {
            throw GitError.conductor(
                "open repository",
                "'\(repository.gitDirectory)' is a bare repository; conductor needs a repository with a working directory (clone it: git clone \(repository.gitDirectory) DIR)")
        }
        return repository
    }

    /// The working directory, without a trailing slash.
    public var workingDirectory: String {
        Self.trimmed(git_repository_workdir(pointer).map { String(cString: $0) } ?? gitDirectory)
    }

    /// The repository's own git directory (`.git`, or `.git/worktrees/<name>` for a linked worktree).
    public var gitDirectory: String {
        Self.trimmed(String(cString: git_repository_path(pointer)))
    }

    /// The git directory shared by the main checkout and every linked worktree.
    public var commonDirectory: String {
        Self.trimmed(String(cString: git_repository_commondir(pointer)))
    }

    /// True for a repository without a working directory.
    public var isBare: Bool { git_repository_is_bare(pointer) == 1 }

    /// True when this handle was opened on a linked worktree rather than the main checkout.
    public var isLinkedWorktree: Bool { git_repository_is_worktree(pointer) == 1 }

    /// True when the repository has no commits at all: HEAD is unborn and no branch exists.
    ///
    /// (`git_repository_is_empty` is not used: it only recognises the `init.defaultBranch` name.)
    public var isEmpty: Bool {
        git_repository_head_unborn(pointer) == 1 && ((try? branchNames().isEmpty) ?? true)
    }

    /// The short name of the branch HEAD points to (`main` for `refs/heads/main`).
    ///
    /// - Throws: `GitError` naming the fix when HEAD is detached or the repository has no commits.
    public func currentBranch() throws -> String {
        var head: OpaquePointer?
        do {
            try check("git_repository_head") { git_repository_head(&head, pointer) }
        } catch let error as GitError where error.code == GIT_EUNBORNBRANCH.rawValue || error.isNotFound {
            throw GitError.conductor(
                "resolve HEAD",
                "repository '\(workingDirectory)' has no commits yet; make a first commit (git commit --allow-empty -m init) before using conductor")
        }
        defer { git_reference_free(head) }
        guard git_reference_is_branch(head) == 1 else {
            let id = git_reference_target(head).map { ObjectID($0).short } ?? "?"
            throw GitError.conductor(
                "resolve HEAD",
                "HEAD of '\(workingDirectory)' is detached at \(id); check out a branch or name the base branch explicitly")
        }
        return String(cString: git_reference_shorthand(head))
    }

    /// Resolves the base of a batch: `name` when given (a local branch, else any commit-ish a
    /// user would type: `origin/main`, a tag, a sha, `main~2`), else the branch HEAD points to.
    ///
    /// - Throws: `GitError` when `name` names no commit (listing the branches), HEAD is detached,
    ///   or the repository has no commits.
    public func resolveBase(_ name: String?) throws -> Base {
        let branch = try name ?? currentBranch()
        if Self.isValidBranchName(branch), let commit = try branchTip(branch) { return Base(branch: branch, commit: commit) }
        if !isEmpty, let commit = try? resolveCommit(branch) { return Base(branch: branch, commit: commit) }
        if isEmpty {
            throw GitError.conductor(
                "resolve base",
                "repository '\(workingDirectory)' has no commits yet; make a first commit before using conductor")
        }
        let known = (try? branchNames()) ?? []
        throw GitError.conductor(
            "resolve base",
            "'\(branch)' is not a branch, tag or commit of '\(workingDirectory)' (branches: \(known.joined(separator: ", ")))")
    }

    /// The commit a revision expression (`HEAD`, `main~2`, a sha) names.
    public func resolveCommit(_ revision: String) throws -> ObjectID {
        var object: OpaquePointer?
        try check("git_revparse_single(\(revision))") { git_revparse_single(&object, pointer, revision) }
        defer { git_object_free(object) }
        var commit: OpaquePointer?
        try check("git_object_peel(\(revision))") { git_object_peel(&commit, object, GIT_OBJECT_COMMIT) }
        defer { git_object_free(commit) }
        return ObjectID(git_object_id(commit))
    }

    /// Looks up a commit; the caller frees it with `git_commit_free`.
    func lookupCommit(_ id: ObjectID) throws -> OpaquePointer {
        var oid = id.raw
        var commit: OpaquePointer?
        try check("git_commit_lookup(\(id.short))") { git_commit_lookup(&commit, pointer, &oid) }
        return commit!
    }

    /// Looks up the tree of a commit; the caller frees it with `git_tree_free`.
    func lookupTree(ofCommit id: ObjectID) throws -> OpaquePointer {
        let commit = try lookupCommit(id)
        defer { git_commit_free(commit) }
        var tree: OpaquePointer?
        try check("git_commit_tree(\(id.short))") { git_commit_tree(&tree, commit) }
        return tree!
    }

    private static func trimmed(_ path: String) -> String {
        path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }
}

/// The branch a batch starts from, and the commit it pointed to when resolved.
public struct Base: Sendable, Equatable {
    public let branch: String
    public let commit: ObjectID
}
