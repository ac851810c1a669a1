import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

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
}

/// A commit as the merge report lists it.
public struct CommitSummary: Sendable, Equatable {
    public let id: ObjectID
    /// The first line of the message.
    public let summary: String
    public let message: String
    public let authorName: String
    public let authorEmail: String
    public let date: Date
    /// `Key: value` trailers at the end of the message (e.g. `Conductor-Task`), in order.
    public let trailers: [Trailer]

    /// The value of the first trailer named `key`.
    public func trailer(_ key: String) -> String? {
        trailers.first { $0.key == key }?.value
    }
}

/// One `Key: value` line from the trailer block of a commit message.
public struct Trailer: Sendable, Equatable {
    public let key: String
    public let value: String
}

/// How far a branch's work has reached the base.
public enum MergeState: Sendable, Equatable {
    /// Every commit of the branch is reachable from the base.
    case merged
    /// The commits are not in the base, but their changes are: merging would change nothing.
    case squashMerged
    /// The branch has work that the base lacks.
    case unmerged(commitsAhead: Int)

    /// True for `.merged` and `.squashMerged`: deleting the branch loses nothing.
    public var isMerged: Bool {
        if case .unmerged = self { return false }
        return true
    }
}
