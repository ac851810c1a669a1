import Synchronization

/// The diffs a report has read, each with its patch, so a range read for a worker branch is not
/// read again for the task whose commits are that same range (the usual case: one task per
/// worker), nor again for `report.html`. Any thread may use it, each with its own repository handle.
final class DiffMemo: Sendable {
    private struct Key: Hashable {
        let repository: String
        let from: ObjectID
        let to: ObjectID
    }

    private let diffs = Mutex<[Key: DiffSummary]>([:])

    /// `repository.diff(from: from, to: to, includePatch: true)`, read once per range and repository.
    func diff(from: ObjectID, to: ObjectID, in repository: Repository) throws -> DiffSummary {
        let key = Key(repository: repository.commonDirectory, from: from, to: to)
        if let known = diffs.withLock({ $0[key] }) { return known }
        let diff = try repository.diff(from: from, to: to, includePatch: true)
        diffs.withLock { $0[key] = diff }
        return diff
    }

    /// The change of commits `first` through `last` (from the first's parent), as
    /// `repository.diff(ofCommits:through:includePatch: true)` reads it.
    func diff(ofCommits first: ObjectID, through last: ObjectID, in repository: Repository) throws -> DiffSummary {
        guard let parent = try repository.commitInfo(first).parents.first else {
            return try repository.diff(ofCommits: first, through: last, includePatch: true)
        }
        return try diff(from: parent, to: last, in: repository)
    }
}
