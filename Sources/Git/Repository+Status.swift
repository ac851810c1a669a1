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

extension Repository {
    /// Every file in the working directory whose state differs from HEAD: staged, unstaged and
    /// untracked (ignored files excluded), sorted by path.
    public func uncommittedChanges() throws -> [FileStatus] {
        try statusEntries(show: GIT_STATUS_SHOW_INDEX_AND_WORKDIR,
                          flags: GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue) { entry in
            let delta = entry.index_to_workdir ?? entry.head_to_index
            guard let file = delta?.pointee.new_file.path ?? delta?.pointee.old_file.path else { return nil }
            return FileStatus(path: String(cString: file), kind: Self.kind(of: entry.status.rawValue))
        }.sorted { $0.path < $1.path }
    }

    /// Reads `git status` entries (as `show` and `flags` select) through `read`, while the
    /// status list they point into is alive.
    func statusEntries<Value>(show: git_status_show_t, flags: UInt32, _ read: (git_status_entry) -> Value?) throws -> [Value] {
        var options = git_status_options()
        git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION))
        options.show = show
        options.flags = flags
        var list: OpaquePointer?
        try check("git_status_list_new") { git_status_list_new(&list, pointer, &options) }
        defer { git_status_list_free(list) }
        return (0..<git_status_list_entrycount(list)).compactMap { index in git_status_byindex(list, index).flatMap { read($0.pointee) } }
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
