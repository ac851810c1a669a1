internal import CLibgit2

extension Repository {
    /// True when `path` (relative to the working directory) is ignored by `.gitignore` and friends.
    public func isIgnored(_ path: String) throws -> Bool {
        var ignored: Int32 = 0
        try check("git_ignore_path_is_ignored(\(path))") { git_ignore_path_is_ignored(&ignored, pointer, path) }
        return ignored == 1
    }
}

extension Repository {
    /// The untracked paths of the working directory that `.gitignore` and friends ignore, as
    /// `git status --ignored` shows them: an ignored directory is one entry ending in `/`, not
    /// walked. Sorted.
    public func ignoredPaths() throws -> [String] {
        try statusEntries(show: GIT_STATUS_SHOW_WORKDIR_ONLY,
                          flags: GIT_STATUS_OPT_INCLUDE_IGNORED.rawValue | GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue) { entry in
            guard entry.status.rawValue & GIT_STATUS_IGNORED.rawValue != 0, let path = entry.index_to_workdir?.pointee.new_file.path else { return nil }
            return String(cString: path)
        }.sorted()
    }
}
