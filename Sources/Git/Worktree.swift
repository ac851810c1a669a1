/// A linked worktree as git records it in `.git/worktrees/<name>`.
public struct WorktreeInfo: Sendable, Equatable {
    /// The admin name: one path component, unique in the repository.
    public let name: String
    /// The worktree's working directory.
    public let path: String
    /// The branch checked out there (short name), nil when HEAD is detached or unreadable.
    public let branch: String?
    /// True when `git worktree lock` (or libgit2) locked it.
    public let isLocked: Bool
    /// True when the working directory and the admin files are all present.
    public let isValid: Bool
}

/// What to create: a worktree named `name` at `path` with `branch` checked out.
public struct WorktreeSpec: Sendable, Equatable {
    public let name: String
    public let path: String
    public let branch: String
    /// Where to create `branch`; nil when the branch already exists and is reused.
    public let startPoint: ObjectID?

    public init(name: String, path: String, branch: String, startPoint: ObjectID?) {
        self.name = name
        self.path = path
        self.branch = branch
        self.startPoint = startPoint
    }
}
