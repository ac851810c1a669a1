internal import CLibgit2
import FoundationEssentials
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

extension Repository {
    /// True when this repository's working directory holds exactly what checking out `commit`
    /// would write, as far as git can tell without reading the files: so new worktrees at
    /// `commit` can copy its files (see `fillWorkingDirectory`) instead of inflating every blob.
    ///
    /// Every condition fails closed:
    /// - HEAD is `commit`, and the index is `commit`'s tree: no staged change, no conflict, no
    ///   intent-to-add or skip-worktree entry;
    /// - every file has the type, size, modification and change time its index entry recorded,
    ///   and was last changed before the index was written (no racily clean entry). The change
    ///   time cannot be set back, so a file rewritten with its old size and modification time is
    ///   seen too, as git sees it;
    /// - no filter can apply, so each file is its blob byte for byte: no `.gitattributes`
    ///   anywhere in the index, no `info/attributes`, no global or system attributes file, and
    ///   `core.autocrlf` off. (A checkout made under other line-ending rules than today's would
    ///   look clean to git, yet differ from a checkout made now.)
    package func isUnchangedCheckout(of commit: ObjectID) -> Bool {
        guard (try? headCommit()) == commit, (try? hasAttributeFilesOutsideTheIndex) == false,
              (try? convertsLineEndings) == false, let index = try? readIndex() else { return false }
        defer { git_index_free(index) }
        guard let indexWritten = try? Self.writtenTime(of: index), isIndex(index, theTreeOf: commit) else { return false }
        let root = workingDirectory
        return (0..<git_index_entrycount(index)).allSatisfy { position in
            guard let entry = git_index_get_byindex(index, position)?.pointee else { return false }
            let path = String(cString: entry.path)
            return path != ".gitattributes" && !path.hasSuffix("/.gitattributes")
                && Self.isUnchanged(entry, at: "\(root)/\(path)", indexWritten: indexWritten)
        }
    }

    /// When the file of `index` was last written.
    static func writtenTime(of index: OpaquePointer) throws -> timespec {
        var info = stat()
        guard let path = git_index_path(index), stat(path, &info) == 0 else {
            throw GitError.conductor("read index", "cannot stat the index: \(String(cString: strerror(errno)))")
        }
        return info.st_mtim
    }

    /// True when the times `entry` recorded are before `indexWritten`: a file changed again in the
    /// same clock tick as its recording could keep the times it recorded, so git distrusts an
    /// entry recorded in the tick its index was written in ("racily clean").
    static func isSettled(_ entry: git_index_entry, before indexWritten: timespec) -> Bool {
        func isBefore(_ time: git_index_time) -> Bool {
            Int(time.seconds) < indexWritten.tv_sec || (Int(time.seconds) == indexWritten.tv_sec && Int(time.nanoseconds) < indexWritten.tv_nsec)
        }
        return isBefore(entry.mtime) && isBefore(entry.ctime)
    }

    /// True when `index` records `commit`'s tree exactly (no staged change).
    func isIndex(_ index: OpaquePointer, theTreeOf commit: ObjectID) -> Bool {
        guard let tree = try? lookupTree(ofCommit: commit) else { return false }
        defer { git_tree_free(tree) }
        var options = git_diff_options()
        git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION))
        options.flags = GIT_DIFF_INCLUDE_TYPECHANGE.rawValue
        var diff: OpaquePointer?
        guard git_diff_tree_to_index(&diff, pointer, tree, index, &options) == 0 else { return false }
        defer { git_diff_free(diff) }
        return git_diff_num_deltas(diff) == 0
    }

    /// True when the file at `path` is what `entry` recorded, by its stat, and changed before the
    /// index was written at `indexWritten`.
    private static func isUnchanged(_ entry: git_index_entry, at path: String, indexWritten: timespec) -> Bool {
        let special = UInt16(GIT_INDEX_ENTRY_INTENT_TO_ADD.rawValue | GIT_INDEX_ENTRY_SKIP_WORKTREE.rawValue)
        guard Int32(entry.flags) & GIT_INDEX_ENTRY_STAGEMASK == 0, entry.flags_extended & special == 0 else { return false }
        let type = entry.mode & 0o170000
        if type == 0o160000 { return true } // a submodule: a copy makes its empty directory, as a checkout does
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == (type == 0o120000 ? S_IFLNK : S_IFREG) else { return false }
        return isRecorded(by: entry, info) && isSettled(entry, before: indexWritten)
    }

    /// True when an attributes file outside the index could apply to some path: the
    /// repository's `info/attributes`, `core.attributesFile` or its default, or the system's.
    private var hasAttributeFilesOutsideTheIndex: Bool {
        get throws {
            if try configValue("core.attributesFile") != nil { return true }
            let environment = ProcessInfo.processInfo.environment
            let configHome = environment["XDG_CONFIG_HOME"] ?? environment["HOME"].map { "\($0)/.config" }
            var candidates = ["\(commonDirectory)/info/attributes"]
            if let configHome { candidates.append("\(configHome)/git/attributes") }
            candidates += try Self.systemConfigDirectories.map { "\($0)/gitattributes" }
            return candidates.contains { FileManager.default.fileExists(atPath: $0) }
        }
    }

    /// True when `core.autocrlf` converts line endings (`true` or `input`).
    private var convertsLineEndings: Bool {
        get throws {
            guard let value = try configValue("core.autocrlf")?.lowercased() else { return false }
            return !["false", "no", "off", "0", ""].contains(value)
        }
    }

    /// The directories libgit2 reads system-wide files from (`/etc` as Debian builds it).
    private static var systemConfigDirectories: [String] {
        get throws {
            var paths = git_buf()
            defer { git_buf_dispose(&paths) }
            try check("git_libgit2_opts(GIT_OPT_GET_SEARCH_PATH)") { conductor_git_get_search_path(GIT_CONFIG_LEVEL_SYSTEM, &paths) }
            return paths.ptr.map { String(cString: $0).split(separator: ":").map(String.init) } ?? []
        }
    }

    /// The string value of the configuration variable `name` as this repository sees it, or nil
    /// when it is unset.
    private func configValue(_ name: String) throws -> String? {
        var config: OpaquePointer?
        try check("git_repository_config_snapshot") { git_repository_config_snapshot(&config, pointer) }
        defer { git_config_free(config) }
        var value: UnsafePointer<CChar>?
        do {
            try check("git_config_get_string(\(name))") { git_config_get_string(&value, config, name) }
        } catch let error as GitError where error.isNotFound {
            return nil
        }
        return value.map { String(cString: $0) }
    }
}
