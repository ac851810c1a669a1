internal import CLibgit2
import FoundationEssentials
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

extension Repository {
    /// This repository's checked-out files, when its working directory holds exactly what
    /// checking out `commit` would write, so new worktrees at `commit` can copy them (see
    /// `fillWorkingDirectory`) instead of inflating every blob; else nil.
    ///
    /// Every condition fails closed:
    /// - HEAD is `commit`, and the index is `commit`'s tree: no staged change, no conflict, no
    ///   intent-to-add, skip-worktree or assume-unchanged entry;
    /// - every file has the type, size, modification and change time its index entry recorded,
    ///   recorded before the index was written (no racily clean entry), and its bytes are its
    ///   blob's (hashed: a file checked out under other line-ending rules than today's looks
    ///   clean to git, yet is not what a checkout writes now). The change time cannot be set
    ///   back, so later the stat alone tells a file rewritten since, as git sees it;
    /// - no filter can apply, so a checkout writes each blob byte for byte: no `.gitattributes`
    ///   anywhere in the index, no `info/attributes`, no global or system attributes file, and
    ///   `core.autocrlf` off.
    package func unchangedCheckoutFiles(of commit: ObjectID) -> CheckoutFiles? {
        guard (try? headCommit()) == commit, (try? hasAttributeFilesOutsideTheIndex) == false, (try? convertsLineEndings) == false,
              let files = try? checkoutFiles(of: commit, trustsRacyEntries: false),
              !files.entries.contains(where: { $0.path == ".gitattributes" || $0.path.hasSuffix("/.gitattributes") }) else { return nil }
        let root = files.root
        // Hashing every file is most of the time: the files are read on every core.
        let unchanged = EveryCore.allSatisfy(files.entries.count) { position in
            let (entry, path) = files.entries[position]
            return Self.isUnchanged(entry, at: "\(root)/\(path)")
        }
        return unchanged ? files : nil
    }

    /// This repository's index, read from disk, with the time its file was written; the caller
    /// frees it with `git_index_free`.
    ///
    /// - Throws: when the index file changes while it is read (the time would not be its).
    func readIndexWithItsTime() throws -> (OpaquePointer, timespec) {
        var index: OpaquePointer?
        try check("git_repository_index") { git_repository_index(&index, pointer) }
        do {
            let path = String(cString: git_index_path(index))
            func identity() throws -> [Int] {
                var info = stat()
                guard stat(path, &info) == 0 else {
                    throw GitError.conductor("read index", "cannot stat \(path): \(String(cString: strerror(errno)))")
                }
                return [info.st_mtim.tv_sec, info.st_mtim.tv_nsec, Int(info.st_size), Int(info.st_ino)]
            }
            let before = try identity()
            try check("git_index_read") { git_index_read(index, 1) }
            guard try identity() == before else { throw GitError.conductor("read index", "\(path) changed while it was read") }
            return (index!, timespec(tv_sec: before[0], tv_nsec: before[1]))
        } catch {
            git_index_free(index)
            throw error
        }
    }

    /// True when the times `entry` recorded are before `indexWritten`: a file changed again in the
    /// same clock tick as its recording could keep the times it recorded, so git distrusts an
    /// entry recorded in the tick its index was written in ("racily clean").
    static func isSettled(_ entry: git_index_entry, before indexWritten: timespec) -> Bool {
        let written = (seconds: UInt32(truncatingIfNeeded: indexWritten.tv_sec), nanoseconds: UInt32(indexWritten.tv_nsec))
        func isBefore(_ time: git_index_time) -> Bool {
            let seconds = UInt32(bitPattern: time.seconds) // the index keeps 32 bits, unsigned, as git does
            return seconds < written.seconds || (seconds == written.seconds && time.nanoseconds < written.nanoseconds)
        }
        return isBefore(entry.mtime) && isBefore(entry.ctime)
    }

    /// True when `entry` is a plain entry a checkout would make: no conflict stage, and none of
    /// the flags a user sets on their own index (assume-unchanged, skip-worktree, intent-to-add),
    /// which a copy of it must not carry.
    static func isPlain(_ entry: git_index_entry) -> Bool {
        let special = UInt16(GIT_INDEX_ENTRY_INTENT_TO_ADD.rawValue | GIT_INDEX_ENTRY_SKIP_WORKTREE.rawValue)
        return Int32(entry.flags) & (GIT_INDEX_ENTRY_STAGEMASK | Int32(GIT_INDEX_ENTRY_VALID.rawValue)) == 0
            && entry.flags_extended & special == 0
    }

    /// True when `commit`'s tree is what `index` records (no staged change).
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

    /// True when the file at `path` has the stat `entry` recorded and its blob's bytes (a link:
    /// its target).
    private static func isUnchanged(_ entry: git_index_entry, at path: String) -> Bool {
        let type = entry.mode & 0o170000
        if type == 0o160000 { return true } // a submodule: a copy makes its empty directory, as a checkout does
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == (type == 0o120000 ? S_IFLNK : S_IFREG), isRecorded(by: entry, info) else {
            return false
        }
        var hash = git_oid()
        if type == 0o120000 {
            guard let target = try? linkTarget(path, size: Int(info.st_size)),
                  target.withUnsafeBufferPointer({ git_odb_hash(&hash, $0.baseAddress, $0.count, GIT_OBJECT_BLOB) }) == 0 else { return false }
        } else {
            guard git_odb_hashfile(&hash, path, GIT_OBJECT_BLOB) == 0 else { return false }
        }
        var recorded = entry.id
        return git_oid_equal(&hash, &recorded) == 1
    }

    /// The target of the link at `path`, which `lstat` said is `size` bytes long.
    ///
    /// - Throws: when it cannot be read, or is not `size` bytes long any more.
    static func linkTarget(_ path: String, size: Int) throws -> [CChar] {
        var buffer = [CChar](repeating: 0, count: size + 1)
        let length = readlink(path, &buffer, buffer.count)
        guard length == size else {
            throw GitError.conductor("copy worktree", "the link \(path) changed or cannot be read")
        }
        return Array(buffer.prefix(size))
    }

    /// True when an attributes file outside the index could apply to some path: the
    /// repository's `info/attributes`, `core.attributesFile`, or the global (XDG) or system one
    /// libgit2 reads.
    private var hasAttributeFilesOutsideTheIndex: Bool {
        get throws {
            if try configValue("core.attributesFile") != nil { return true }
            let candidates = ["\(commonDirectory)/info/attributes"]
                + (try Self.searchPath(GIT_CONFIG_LEVEL_XDG)).map { "\($0)/attributes" }
                + (try Self.searchPath(GIT_CONFIG_LEVEL_SYSTEM)).map { "\($0)/gitattributes" }
            return candidates.contains { FileManager.default.fileExists(atPath: $0) }
        }
    }

    /// True when `core.autocrlf` converts line endings: anything but false (a key without a value
    /// is true to git).
    private var convertsLineEndings: Bool {
        get throws {
            guard let value = try configValue("core.autocrlf")?.lowercased() else { return false }
            return !["false", "no", "off", "0"].contains(value)
        }
    }

    /// The directories libgit2 reads the files of configuration level `level` from (`/etc` for
    /// the system's as Debian builds it; `~/.config/git` for the XDG one).
    private static func searchPath(_ level: git_config_level_t) throws -> [String] {
        var paths = git_buf()
        defer { git_buf_dispose(&paths) }
        try check("git_libgit2_opts(GIT_OPT_GET_SEARCH_PATH)") { conductor_git_get_search_path(level, &paths) }
        return paths.ptr.map { String(cString: $0).split(separator: ":").map(String.init) } ?? []
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
        return value.map { String(cString: $0) } ?? ""
    }
}
