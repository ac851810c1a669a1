internal import CLibgit2

/// A file with changes in a working directory that are not committed.
public struct FileStatus: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case added, modified, deleted, renamed, typeChanged, untracked, conflicted
    }

    public let path: String
    public let kind: Kind

    public init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }

    public var description: String { kind == .untracked ? "\(path) (untracked)" : "\(path) (\(kind.rawValue))" }
}

/// What a working directory holds that is not committed, read in one walk of it.
public struct WorkingDirectoryStatus: Sendable, Equatable {
    /// As `uncommittedChanges()` lists them.
    public let uncommitted: [FileStatus]
    /// The untracked paths `.gitignore` and friends ignore, as `git status --ignored
    /// --untracked-files=all` names them: an ignored directory is one entry ending in `/`, not
    /// walked. Sorted.
    public let ignored: [String]
}

extension Repository {
    /// Every file in the working directory whose state differs from HEAD: staged, unstaged and
    /// untracked (ignored files excluded), sorted by path.
    public func uncommittedChanges() throws -> [FileStatus] {
        try status(includingIgnored: false).uncommitted
    }

    /// The uncommitted changes and the ignored paths of the working directory, in one walk.
    public func workingDirectoryStatus() throws -> WorkingDirectoryStatus {
        try status(includingIgnored: true)
    }

    private func status(includingIgnored: Bool) throws -> WorkingDirectoryStatus {
        var options = git_status_options()
        git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION))
        options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
        options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue
            | (includingIgnored ? GIT_STATUS_OPT_INCLUDE_IGNORED.rawValue : 0)
        var list: OpaquePointer?
        try check("git_status_list_new") { git_status_list_new(&list, pointer, &options) }
        defer { git_status_list_free(list) }
        var uncommitted: [FileStatus] = [], ignored: [String] = []
        for index in 0..<git_status_list_entrycount(list) {
            guard let entry = git_status_byindex(list, index)?.pointee else { continue }
            let delta = entry.index_to_workdir ?? entry.head_to_index
            guard let file = (delta?.pointee.new_file.path ?? delta?.pointee.old_file.path).map(String.init(cString:)) else { continue }
            // A tracked file that `.gitignore` matches, removed from the index but kept on disk, is
            // both: deleted and ignored.
            let flags = entry.status.rawValue
            if flags & GIT_STATUS_IGNORED.rawValue != 0 { ignored.append(file) }
            if flags & ~GIT_STATUS_IGNORED.rawValue != 0 { uncommitted.append(FileStatus(path: file, kind: Self.kind(of: flags))) }
        }
        return WorkingDirectoryStatus(uncommitted: uncommitted.sorted { $0.path < $1.path }, ignored: ignored.sorted())
    }

    /// True when `uncommittedChanges()` is not empty.
    public var hasUncommittedChanges: Bool {
        get throws { try !uncommittedChanges().isEmpty }
    }

    private static func kind(of flags: UInt32) -> FileStatus.Kind {
        func has(_ flag: git_status_t) -> Bool { flags & flag.rawValue != 0 }
        if has(GIT_STATUS_CONFLICTED) { return .conflicted }
        if has(GIT_STATUS_WT_NEW) && !has(GIT_STATUS_INDEX_NEW) { return .untracked }
        if has(GIT_STATUS_INDEX_NEW) { return .added }
        if has(GIT_STATUS_INDEX_DELETED) || has(GIT_STATUS_WT_DELETED) { return .deleted }
        if has(GIT_STATUS_INDEX_RENAMED) || has(GIT_STATUS_WT_RENAMED) { return .renamed }
        if has(GIT_STATUS_INDEX_TYPECHANGE) || has(GIT_STATUS_WT_TYPECHANGE) { return .typeChanged }
        return .modified
    }
}
