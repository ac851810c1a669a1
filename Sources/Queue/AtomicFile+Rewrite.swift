import FoundationEssentials
import CSystemShims
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

extension AtomicFile {
    /// Replaces `path` with `data` atomically, as `write` does, but without a new inode when it
    /// can: for files rewritten over and over (a worker's `status.json`, `result.json`, `task.json`).
    ///
    /// The new version is written into `.NAME.next`, the file that holds the version before the
    /// current one, and the two names are swapped in one step (`renameat2` with `RENAME_EXCHANGE`).
    /// A reader therefore always opens a whole version, and a writer killed mid-write leaves the
    /// current version intact, as with a rename. `.NAME.next` is written only under a write lease:
    /// the kernel grants one only while no process has the file open (a reader still holding an
    /// old version keeps it from being overwritten), and anyone opening it meanwhile waits until
    /// the write is done. When the lease is refused (the file is open, a file system without
    /// leases, a file of another user) or the swap fails, it falls back to `write`.
    ///
    /// Why: on ext4 every new inode, and every inode freed by a rename, costs the allocator; with
    /// four files rewritten per task that was the larger part of a worker's CPU time per task.
    /// Two writers of one file are safe: the spare is held open (and leased) until it is swapped
    /// in, so a second writer is refused the lease and falls back, or finds it swapped away.
    package static func rewrite(_ data: Data, to path: String) throws {
        if rewriteInPlace(data, to: path) { return }
        try write(data, to: path)
    }

    /// The spare file `rewrite` keeps beside `path`.
    package static func spare(of path: String) -> String {
        "\(Path.parent(path))/.\(Path.name(path)).next"
    }

    /// Writes `data` into the spare and swaps it in; false when this cannot be done safely, with
    /// `path` unchanged.
    private static func rewriteInPlace(_ data: Data, to path: String) -> Bool {
        let spare = spare(of: path)
        let fd = open(spare, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        // Only a plain file of our own with no other name: never write through a planted link.
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_nlink == 1,
              conductor_take_write_lease(fd) == 0 else { return false }
        defer { conductor_release_lease(fd) }
        // Under the lease no other writer can swap it away; check that none did before it.
        var named = stat()
        guard lstat(spare, &named) == 0, named.st_ino == info.st_ino, named.st_dev == info.st_dev,
              RawFile.write(data, to: fd), ftruncate(fd, off_t(data.count)) == 0 else { return false }
        if conductor_rename_exchange(spare, path) == 0 { return true }
        // The first version: nothing to swap with, so the spare takes the name.
        return errno == ENOENT && access(path, F_OK) != 0 && rename(spare, path) == 0
    }
}
