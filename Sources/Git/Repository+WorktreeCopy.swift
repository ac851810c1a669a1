internal import CLibgit2
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

/// The files of a checkout that new worktrees at its commit copy (see `fillWorkingDirectory`):
/// its index's entries, read once, checked to be the commit's tree, and read by every thread that
/// copies them.
package struct CheckoutFiles: @unchecked Sendable { // the entries hold no pointer: their paths are copied out
    /// The checkout's working directory.
    let root: String
    /// The commit checked out.
    let commit: ObjectID
    /// The index's entries, in its order, each with its path (the entry's own `path` is nil: the
    /// index it pointed into is freed).
    let entries: [(entry: git_index_entry, path: String)]
}

extension Repository {
    /// This checkout's files as its index records them, for worktrees at `commit` to copy.
    ///
    /// - Parameter trustsRacyEntries: true when this is a checkout conductor just made, which
    ///   nobody else writes: then an entry recorded in the same clock tick as its index is trusted
    ///   by its stat. Another checkout's racily clean entries fail (see `unchangedCheckoutFiles`).
    /// - Throws: `GitError` when the index is not `commit`'s tree, or has an entry a checkout
    ///   would not make (a conflict, a flag of the user's) or a racily clean one.
    package func checkoutFiles(of commit: ObjectID, trustsRacyEntries: Bool) throws -> CheckoutFiles {
        let root = workingDirectory
        let (index, indexWritten) = try readIndexWithItsTime()
        defer { git_index_free(index) }
        guard isIndex(index, theTreeOf: commit) else {
            throw GitError.conductor("copy worktree", "the index of '\(root)' is not the tree of \(commit)")
        }
        var entries: [(entry: git_index_entry, path: String)] = []
        for position in 0..<git_index_entrycount(index) {
            guard var entry = git_index_get_byindex(index, position)?.pointee else {
                throw GitError.conductor("copy worktree", "cannot read entry \(position) of the index of '\(root)'")
            }
            let path = String(cString: entry.path)
            guard Self.isPlain(entry) else {
                throw GitError.conductor("copy worktree", "'\(root)' has a conflict or a flag of its own (assume-unchanged, skip-worktree, intent-to-add) on \(path)")
            }
            guard trustsRacyEntries || Self.isSettled(entry, before: indexWritten) else {
                throw GitError.conductor("copy worktree", "'\(root)/\(path)' changed too close to its index's writing to be trusted by its stat")
            }
            entry.path = nil
            entries.append((entry, path))
        }
        return CheckoutFiles(root: root, commit: commit, entries: entries)
    }

    /// Fills this repository's working directory, a worktree just added without a checkout whose
    /// HEAD is the commit of `files`, with copies of them, and writes its index: each file is
    /// copied by the kernel (`sendfile`) instead of inflated from the object database again. What
    /// a checkout makes of the commit (line endings, modes, links, empty directories of
    /// submodules) is what the checkout holds, so the copy is what a checkout makes.
    ///
    /// Why: checking out is mostly zlib inflating every blob; a batch's worktrees all start at one
    /// commit, so one checkout and copies cost a fraction of one checkout each.
    ///
    /// - Throws: `GitError` when this worktree's HEAD is not the commit of `files`, a file no
    ///   longer has the size and times its index recorded (it changed since its checkout) or
    ///   changes while it is copied, or a copy fails; the caller then checks out instead.
    func fillWorkingDirectory(copying files: CheckoutFiles) throws {
        let target = workingDirectory
        guard let commit = try headCommit(), commit == files.commit else {
            throw GitError.conductor("copy worktree", "'\(files.root)' is not at the commit of \(target)'s HEAD")
        }
        let targetIndex = try readIndex()
        defer { git_index_free(targetIndex) }
        try check("git_index_clear") { git_index_clear(targetIndex) }
        var made: Set<String> = [""]
        for (var entry, path) in files.entries {
            try Self.makeParents(of: path, in: target, made: &made)
            let info = try Self.copyEntry(entry, from: "\(files.root)/\(path)", to: "\(target)/\(path)")
            entry.ctime = git_index_time(seconds: Int32(truncatingIfNeeded: info.st_ctim.tv_sec), nanoseconds: UInt32(info.st_ctim.tv_nsec))
            entry.mtime = git_index_time(seconds: Int32(truncatingIfNeeded: info.st_mtim.tv_sec), nanoseconds: UInt32(info.st_mtim.tv_nsec))
            entry.dev = UInt32(truncatingIfNeeded: info.st_dev)
            entry.ino = UInt32(truncatingIfNeeded: info.st_ino)
            entry.uid = info.st_uid
            entry.gid = info.st_gid
            entry.file_size = UInt32(truncatingIfNeeded: info.st_size)
            (entry.flags, entry.flags_extended) = (0, 0)
            try path.withCString { cPath in
                entry.path = cPath
                try check("git_index_add(\(path))") { git_index_add(targetIndex, &entry) }
            }
        }
        // Reading the tree in gives the index the tree of every directory (git's cache-tree), so a
        // commit that finds nothing changed builds none; libgit2 keeps the stat data of the entries
        // just added, which have the same ids and modes.
        let tree = try lookupTree(ofCommit: commit)
        defer { git_tree_free(tree) }
        try check("git_index_read_tree") { git_index_read_tree(targetIndex, tree) }
        try check("git_index_write") { git_index_write(targetIndex) }
    }

    /// This repository's index, read from disk; the caller frees it with `git_index_free`.
    func readIndex() throws -> OpaquePointer {
        var index: OpaquePointer?
        try check("git_repository_index") { git_repository_index(&index, pointer) }
        try check("git_index_read") { git_index_read(index, 1) }
        return index!
    }

    /// Creates the directories above `path` under `root` that are not made yet.
    private static func makeParents(of path: String, in root: String, made: inout Set<String>) throws {
        var parents: [String] = []
        var parent = Path.parent(path)
        while !made.contains(parent) {
            parents.append(parent)
            parent = Path.parent(parent)
        }
        for directory in parents.reversed() {
            guard mkdir("\(root)/\(directory)", 0o777) == 0 || errno == EEXIST else {
                throw GitError.conductor("copy worktree", "cannot create \(root)/\(directory): \(String(cString: strerror(errno)))")
            }
            made.insert(directory)
        }
    }

    /// Copies one index entry's file (a link as a link, a submodule as its empty directory) and
    /// returns the copy's stat.
    private static func copyEntry(_ entry: git_index_entry, from source: String, to target: String) throws -> stat {
        func failure(_ what: String) -> GitError {
            GitError.conductor("copy worktree", "\(what): \(String(cString: strerror(errno)))")
        }
        var original = stat()
        switch entry.mode & 0o170000 {
        case 0o160000:
            guard mkdir(target, 0o777) == 0 else { throw failure("cannot create \(target)") }
        case 0o120000:
            guard lstat(source, &original) == 0, original.st_mode & S_IFMT == S_IFLNK, isRecorded(by: entry, original) else {
                throw GitError.conductor("copy worktree", "\(source) changed since it was checked out")
            }
            let linked = try linkTarget(source, size: Int(original.st_size))
            var after = stat()
            guard lstat(source, &after) == 0, isRecorded(by: entry, after) else {
                throw GitError.conductor("copy worktree", "\(source) changed while it was copied")
            }
            guard symlink(linked + [0], target) == 0 else { throw failure("cannot create \(target)") }
        default:
            let input = Glibc.open(source, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            guard input >= 0 else { throw failure("cannot open \(source)") }
            defer { close(input) }
            guard fstat(input, &original) == 0, original.st_mode & S_IFMT == S_IFREG, isRecorded(by: entry, original) else {
                throw GitError.conductor("copy worktree", "\(source) changed since it was checked out")
            }
            let output = Glibc.open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, entry.mode & 0o111 != 0 ? 0o777 : 0o666)
            guard output >= 0 else { throw failure("cannot create \(target)") }
            defer { close(output) }
            var left = Int(original.st_size)
            while left > 0 {
                let copied = sendfile(output, input, nil, left)
                guard copied > 0 else { throw failure("cannot copy \(source) to \(target)") }
                left -= copied
            }
            // A writer busy while it was copied changed its change time.
            var after = stat()
            guard fstat(input, &after) == 0, isRecorded(by: entry, after) else {
                throw GitError.conductor("copy worktree", "\(source) changed while it was copied")
            }
            var info = stat()
            guard fstat(output, &info) == 0 else { throw failure("cannot stat \(target)") }
            return info
        }
        var info = stat()
        guard lstat(target, &info) == 0 else { throw failure("cannot stat \(target)") }
        return info
    }

    /// True when `info` has the size, modification and change times `entry` recorded.
    static func isRecorded(by entry: git_index_entry, _ info: stat) -> Bool {
        UInt32(truncatingIfNeeded: info.st_size) == entry.file_size
            && Int32(truncatingIfNeeded: info.st_mtim.tv_sec) == entry.mtime.seconds && UInt32(info.st_mtim.tv_nsec) == entry.mtime.nanoseconds
            && Int32(truncatingIfNeeded: info.st_ctim.tv_sec) == entry.ctime.seconds && UInt32(info.st_ctim.tv_nsec) == entry.ctime.nanoseconds
    }
}
