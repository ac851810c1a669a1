/// How a file changed, with git's one-letter codes (`git diff --name-status`).
public enum ChangeStatus: String, Sendable, Codable {
    case added = "A", modified = "M", deleted = "D", renamed = "R", copied = "C", typeChanged = "T"
}

/// One changed file and its line counts (both 0 for binary files, as `--numstat` shows `-`).
public struct FileChange: Sendable, Equatable {
    public let path: String
    /// The path before a rename or copy; nil otherwise.
    public let oldPath: String?
    public let status: ChangeStatus
    public let insertions: Int
    public let deletions: Int
    public let isBinary: Bool
    /// The file's mode before and after (`100644`, `100755`), only when the change altered it.
    public let oldMode: String?
    public let newMode: String?
}

/// The files a diff touches, the line totals and, when asked for, the patch text.
public struct DiffSummary: Sendable, Equatable {
    public let files: [FileChange]
    public var insertions: Int { files.reduce(0) { $0 + $1.insertions } }
    public var deletions: Int { files.reduce(0) { $0 + $1.deletions } }
    /// The unified diff, present only when requested.
    public let patch: String?
    /// Every path the diff touches: each file's path, and its old path after a rename or copy.
    public var paths: Set<String> { Set(files.flatMap { [$0.path] + ($0.oldPath.map { [$0] } ?? []) }) }
}
