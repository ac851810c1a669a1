internal import CLibgit2

extension Repository {
    /// True when `path` (relative to the working directory) is ignored by `.gitignore` and friends.
    public func isIgnored(_ path: String) throws -> Bool {
        var ignored: Int32 = 0
        try check("git_ignore_path_is_ignored(\(path))") { git_ignore_path_is_ignored(&ignored, pointer, path) }
        return ignored == 1
    }
}

