import FoundationEssentials

/// What one worker branch changed since it left the base, in one repository:
/// `git diff -M base...branch`, as a file list and, when asked for, a unified patch.
package struct BranchPatch: Sendable {
    /// The repository's name in the batch directory.
    package var repo: String
    package var branch: String
    /// The base branch, as it is now.
    package var base: String
    package var files: [MergeReport.ChangedFile]
    package var insertions: Int
    package var deletions: Int
    package var patch: String?

    /// Worker `worker`'s branch in each repository of `batch` where it exists.
    ///
    /// - Throws: `GitError` when a repository or its base cannot be read, or the branch shares no
    ///   history with the base.
    package static func read(_ batch: BatchRecord, worker: Int, includePatch: Bool) throws -> [BranchPatch] {
        let branch = batch.branch(worker: worker)
        return try batch.repos.compactMap { repo in
            let repository = try Repository.open(at: repo.path)
            guard let tip = try repository.branchTip(branch) else { return nil }
            let diff = try repository.diff(ofBranch: tip, against: repository.resolveBase(repo.base).commit, includePatch: includePatch)
            return BranchPatch(repo: repo.name, branch: branch, base: repo.base, files: diff.files.map(MergeReport.ChangedFile.init),
                               insertions: diff.insertions, deletions: diff.deletions, patch: diff.patch)
        }
    }
}
