internal import CLibgit2
import FoundationEssentials

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

/// A commit's parents and message, as a history check needs them.
public struct CommitInfo: Sendable, Equatable {
    public let id: ObjectID
    public let parents: [ObjectID]
    /// The first line of the message.
    public let summary: String
    /// The message's trailers (`Key: value` lines of its last paragraph), in order.
    public let trailers: [Trailer]

    /// The values of the trailers named `key`.
    public func trailer(_ key: String) -> [String] { trailers.filter { $0.key == key }.map(\.value) }
}

extension Repository {
    /// The commits reachable from `heads` but not from `hidden`, newest first
    /// (`git rev-list HEADS --not HIDDEN`). Hidden commits that do not exist are ignored.
    public func commits(from heads: [ObjectID], hiding hidden: [ObjectID]) throws -> [ObjectID] {
        var walk: OpaquePointer?
        try check("git_revwalk_new") { git_revwalk_new(&walk, pointer) }
        defer { git_revwalk_free(walk) }
        git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue)
        for head in heads {
            var id = head.raw
            try check("git_revwalk_push(\(head.short))") { git_revwalk_push(walk, &id) }
        }
        for commit in hidden {
            var id = commit.raw
            _ = git_revwalk_hide(walk, &id)
        }
        var found: [ObjectID] = []
        var next = git_oid()
        while git_revwalk_next(&next, walk) == 0 { found.append(ObjectID(next)) }
        return found
    }

    /// Reads one commit's message, author and trailers.
    public func commitSummary(_ id: ObjectID) throws -> CommitSummary {
        let commit = try lookupCommit(id)
        defer { git_commit_free(commit) }
        let message = String(cString: git_commit_message(commit))
        let author = git_commit_author(commit)!.pointee
        return CommitSummary(
            id: id,
            summary: git_commit_summary(commit).map { String(cString: $0) } ?? "",
            message: message,
            authorName: String(cString: author.name),
            authorEmail: String(cString: author.email),
            date: Date(timeIntervalSince1970: TimeInterval(author.when.time)),
            trailers: Self.trailers(of: message))
    }

    /// The `Key: value` lines of the trailer block at the end of `message`, in order.
    static func trailers(of message: String) -> [Trailer] {
        var array = git_message_trailer_array()
        guard git_message_trailers(&array, message) == 0 else { return [] }
        defer { git_message_trailer_array_free(&array) }
        return (0..<array.count).map { index in
            let trailer = array.trailers[index]
            return Trailer(key: String(cString: trailer.key), value: String(cString: trailer.value))
        }
    }

    /// The parents, first line and trailers of commit `id`.
    public func commitInfo(_ id: ObjectID) throws -> CommitInfo {
        let commit = try lookupCommit(id)
        defer { git_commit_free(commit) }
        let parents = (0..<git_commit_parentcount(commit)).map { ObjectID(git_commit_parent_id(commit, $0)) }
        let message = git_commit_message(commit).map { String(cString: $0) } ?? ""
        let summary = message.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
        return CommitInfo(id: id, parents: parents, summary: summary, trailers: Self.trailers(of: message))
    }

    /// True when `id` has two parents and its tree is exactly what merging them in memory gives,
    /// without conflicts: a merge commit whose content nobody changed by hand.
    public func isCleanMerge(_ id: ObjectID) throws -> Bool {
        let info = try commitInfo(id)
        guard info.parents.count == 2 else { return false }
        let index = try mergedIndex(info.parents[0], info.parents[1])
        defer { git_index_free(index) }
        var treeID = git_oid()
        guard git_index_has_conflicts(index) == 0,
              git_index_write_tree_to(&treeID, index, pointer) == 0 else { return false }
        let commit = try lookupCommit(id)
        defer { git_commit_free(commit) }
        return git_oid_equal(git_commit_tree_id(commit), &treeID) == 1
    }
}
