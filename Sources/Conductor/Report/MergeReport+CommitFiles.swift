import FoundationEssentials

extension MergeReport {
    /// How many files each of `commits` changed against its first parent, by commit id, in
    /// whichever of `repositories` holds it (the FILES column of `conductor batch`'s task table).
    /// A commit that no repository holds, or whose diff cannot be read, is left out.
    public static func filesChanged(byCommits commits: [String], in repositories: [BatchRepository]) -> [String: Int] {
        let opened = repositories.compactMap { repo in (try? Repository.open(at: repo.path)).map { (name: repo.name, repository: $0) } }
        var counts: [String: Int] = [:]
        for sha in commits where counts[sha] == nil {
            guard let holder = repository(holding: sha, in: opened), let commit = try? holder.repository.resolveCommit(sha),
                  let diff = try? holder.repository.diff(ofCommits: commit, through: commit) else { continue }
            counts[sha] = diff.files.count
        }
        return counts
    }
}
