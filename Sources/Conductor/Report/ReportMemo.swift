import Synchronization

/// What a report has read from git, so nothing is read twice: each range's diff (with its patch),
/// read for a worker branch and again for the task whose commits are that same range (the usual
/// case: one task per worker) and for `report.html`; and each in-memory merge, done for a pair of
/// branches and again for the pair of their tasks. Any thread may use it, each with its own
/// repository handle.
package final class ReportMemo: Sendable {
    private struct Range: Hashable {
        let repository: String
        let from: ObjectID
        let to: ObjectID
    }

    /// A three-way merge: the two sides in a fixed order, since which is "ours" does not change
    /// where they conflict.
    private struct Merge: Hashable {
        let repository: String
        let ancestor: ObjectID
        let sides: [ObjectID]

        init(repository: String, ancestor: ObjectID, _ one: ObjectID, _ other: ObjectID) {
            self.repository = repository
            self.ancestor = ancestor
            sides = [one, other].sorted { $0.hex < $1.hex }
        }
    }

    private let diffs = Mutex<[Range: DiffSummary]>([:])
    private let conflicts = Mutex<[Merge: [String]]>([:])

    package init() {}

    /// `repository.diff(from: from, to: to, includePatch: true)`, read once per range and repository.
    func diff(from: ObjectID, to: ObjectID, in repository: Repository) throws -> DiffSummary {
        let range = Range(repository: repository.commonDirectory, from: from, to: to)
        if let known = diffs.withLock({ $0[range] }) { return known }
        let diff = try repository.diff(from: from, to: to, includePatch: true)
        diffs.withLock { $0[range] = diff }
        return diff
    }

    /// The change of commits `first` through `last` (from the first's parent), as
    /// `repository.diff(ofCommits:through:includePatch: true)` reads it.
    func diff(ofCommits first: ObjectID, through last: ObjectID, in repository: Repository) throws -> DiffSummary {
        guard let parent = try repository.firstParent(of: first) else {
            return try repository.diff(ofCommits: first, through: last, includePatch: true)
        }
        return try diff(from: parent, to: last, in: repository)
    }

    /// The paths the range changed (both names of a rename), from its diff when that was read,
    /// otherwise from the trees alone.
    func changedPaths(from: ObjectID, to: ObjectID, in repository: Repository) throws -> Set<String> {
        let range = Range(repository: repository.commonDirectory, from: from, to: to)
        if let known = diffs.withLock({ $0[range] }) { return known.paths }
        return try repository.changedPaths(from: from, to: to)
    }

    /// `repository.conflicts(applying: from, to: to, onto: onto)`, merged once per three-way
    /// merge (applying `from`..`onto` onto `to` is the same merge).
    func conflicts(applying from: ObjectID, to: ObjectID, onto: ObjectID, in repository: Repository) throws -> [String] {
        let merge = Merge(repository: repository.commonDirectory, ancestor: from, to, onto)
        if let known = conflicts.withLock({ $0[merge] }) { return known }
        let paths = try repository.conflicts(applying: from, to: to, onto: onto)
        conflicts.withLock { $0[merge] = paths }
        return paths
    }
}
