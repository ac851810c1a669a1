import Synchronization

/// What a report has read from git, so nothing is read twice: each range's diff, read for a task
/// and again for the worker branch whose commits are that same range (the usual case: one task
/// per worker); and each in-memory merge, done for a pair of branches and again for the pair of
/// their tasks. A diff's patch text is made only when a caller asks for it (`report.html`, `show`);
/// the task's diff, which is the one shown, is read first, so a branch's read finds it whole. Any
/// thread may use it, each with its own repository handle.
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
    /// How many diffs it has read from git, and how many of those with their patch text (for tests).
    private let reads = Atomic(0), patchReads = Atomic(0)
    var diffsRead: Int { reads.load(ordering: .relaxed) }
    var patchesRead: Int { patchReads.load(ordering: .relaxed) }

    package init() {}

    /// `repository.diff(from: from, to: to, includePatch: includePatch)`, read once per range and
    /// repository (again only when the patch is wanted now and the first read made none). A diff
    /// read with its patch may be returned with it when none is asked for.
    func diff(from: ObjectID, to: ObjectID, in repository: Repository, includePatch: Bool) throws -> DiffSummary {
        let range = Range(repository: repository.commonDirectory, from: from, to: to)
        if let known = diffs.withLock({ $0[range] }), known.patch != nil || !includePatch { return known }
        let diff = try counted(includePatch: includePatch) { try repository.diff(from: from, to: to, includePatch: includePatch) }
        diffs.withLock { $0[range] = diff }
        return diff
    }

    /// The change of commits `first` through `last` (from the first's parent), as
    /// `repository.diff(ofCommits:through:includePatch:)` reads it.
    func diff(ofCommits first: ObjectID, through last: ObjectID, in repository: Repository, includePatch: Bool) throws -> DiffSummary {
        guard let parent = try repository.firstParent(of: first) else {
            return try counted(includePatch: includePatch) { try repository.diff(ofCommits: first, through: last, includePatch: includePatch) }
        }
        return try diff(from: parent, to: last, in: repository, includePatch: includePatch)
    }

    private func counted(includePatch: Bool, _ read: () throws -> DiffSummary) rethrows -> DiffSummary {
        reads.add(1, ordering: .relaxed)
        if includePatch { patchReads.add(1, ordering: .relaxed) }
        return try read()
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
