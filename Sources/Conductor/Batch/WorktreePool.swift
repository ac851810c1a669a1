import FoundationEssentials
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif
import Git
import Queue

/// One repository's parked worktrees, kept between `--pool` batches with what their `setup` made
/// (ignored files: dependencies, build caches): `<dir>/pool/<repository>-<hash>/p<n>`, listed in
/// `pool.json` beside them, which says which batch holds each.
///
/// A batch claims its entries when it is created, and its prune parks them again (HEAD detached,
/// nothing uncommitted). An entry is never taken while the batch that holds it exists, nor when
/// its checkout has tracked changes nobody committed.
package struct WorktreePool: Sendable {
    /// The pool's directory.
    package let directory: String

    /// `pool.json`.
    struct Manifest: Codable {
        /// The main checkout the pool's worktrees belong to.
        var repository: String
        /// What the admin names of the pool's worktrees carry to be unique in the repository
        /// (`conductor-pool-<tag>-p<n>`; see `worktreeName`): nil in a pool made before pools had
        /// one, whose worktrees keep the names they were made with.
        var tag: String?
        var entries: [Entry]
    }

    /// One pooled worktree.
    struct Entry: Codable {
        /// `p0`, `p1`, …: the worktree's directory in the pool.
        var name: String
        /// The batch that holds it; nil while it is parked.
        var batch: String?
        /// The commit its HEAD was detached at when it was parked.
        var parkedAt: String?
    }

    /// The pool of the repository whose main checkout is `repository`, in the store at `store`.
    package init(store: String, repository: String) {
        let real = Path.real(repository)
        directory = "\(store)/pool/\(Path.name(real))-\(Self.hash(real))"
    }

    /// Every pool of the store at `store`.
    package static func all(in store: String) -> [WorktreePool] {
        let root = "\(store)/pool"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.sorted().map { WorktreePool(directory: "\(root)/\($0)") }
            .filter { FileManager.default.fileExists(atPath: $0.manifestFile) }
    }

    private init(directory: String) {
        self.directory = directory
    }

    var manifestFile: String { "\(directory)/pool.json" }

    /// The admin name of entry `entry`'s worktree in its repository, in a pool tagged `tag` (see
    /// `Manifest.tag`). Pools of one repository in two stores share the repository's worktree
    /// names, so each pool's names carry its own tag.
    static func worktreeName(_ entry: String, tag: String?) -> String {
        tag.map { "conductor-pool-\($0)-\(entry)" } ?? "conductor-pool-\(entry)"
    }

    /// The tag of a new pool: its directory's hash, which tells apart the stores of one repository.
    private var newTag: String { Self.hash(directory) }

    /// The pool's tag, from its manifest (see `Manifest.tag`).
    ///
    /// - Throws: when the manifest cannot be read; nil is the tag of an older pool.
    func tag() throws -> String? {
        try locked { try read()?.tag }
    }

    /// Where entry `entry`'s worktree is.
    func path(of entry: String) -> String { "\(directory)/\(entry)" }

    /// The file that says `setup` already ran in entry `entry` (a changed command runs again).
    func setupMarker(of entry: String, setup: String) -> String { "\(directory)/\(entry).setup-\(Self.hash(setup))" }

    /// The repository the pool belongs to, from its manifest.
    var repository: String? { (try? read())?.repository }

    /// Claims `count` entries for batch `batch` (whose directory must already exist): parked ones
    /// first, then new ones, which the batch's worktree provisioning creates.
    ///
    /// An entry whose batch directory is gone (a batch removed by hand) counts as parked. One whose
    /// checkout has tracked changes is never taken: they are someone's work.
    ///
    /// - Returns: the entries, by worker, and the pool's tag.
    func claim(_ count: Int, for batch: String, store: String, repository: String) throws -> (entries: [String], tag: String?) {
        try PrivateDirectory.make(Path.parent(directory))
        try PrivateDirectory.make(directory)
        return try locked {
            var manifest = try read() ?? Manifest(repository: repository, tag: newTag, entries: [])
            var claimed: [String] = []
            for index in manifest.entries.indices where claimed.count < count {
                let entry = manifest.entries[index]
                let holder = entry.batch.map { "\(store)/\($0)" }
                guard holder.map({ !FileManager.default.fileExists(atPath: $0) }) ?? true, isFree(entry) else { continue }
                manifest.entries[index].batch = batch
                claimed.append(entry.name)
            }
            var next = (manifest.entries.compactMap { Int($0.name.dropFirst()) }.max() ?? -1) + 1
            while claimed.count < count {
                manifest.entries.append(Entry(name: "p\(next)", batch: batch))
                claimed.append("p\(next)")
                next += 1
            }
            try write(manifest)
            return (claimed, manifest.tag)
        }
    }

    /// Parks entry `entry` again, held by `batch` no more; `commit` is where its HEAD was
    /// detached (nil when the batch made no worktree of it).
    func release(_ entry: String, from batch: String, parkedAt commit: String?) throws {
        try locked {
            guard var manifest = try read() else { return }
            for index in manifest.entries.indices where manifest.entries[index].name == entry && manifest.entries[index].batch == batch {
                manifest.entries[index].batch = nil
                manifest.entries[index].parkedAt = commit
            }
            try write(manifest)
        }
    }

    /// Forgets entry `entry` (its worktree was removed), with its setup markers.
    func drop(_ entry: String) throws {
        try locked {
            guard var manifest = try read() else { return }
            manifest.entries.removeAll { $0.name == entry }
            try write(manifest)
        }
        let markers = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for marker in markers where marker.hasPrefix(entry + ".setup-") {
            try? FileManager.default.removeItem(atPath: "\(directory)/\(marker)")
        }
    }

    /// The entries no batch holds, by name.
    func parkedEntries() throws -> [String] {
        try locked { try read()?.entries.filter { $0.batch == nil }.map(\.name) ?? [] }
    }

    /// True when entry `entry` can be handed out: no checkout yet, or one with no tracked changes
    /// (untracked files are cleaned when it is switched to its new branch, ignored ones stay)
    /// whose HEAD no one moved: still detached where it was parked, or on a branch (which keeps
    /// its commits). A commit made on the detached HEAD is held by nothing else, so it is kept.
    private func isFree(_ entry: Entry) -> Bool {
        let path = path(of: entry.name)
        guard FileManager.default.fileExists(atPath: path) else { return true }
        guard let checkout = try? Repository.openLinkedWorktree(at: path), let changes = try? Self.trackedChanges(in: checkout),
              changes.isEmpty else { return false }
        if (try? checkout.currentBranch()) != nil { return true }
        return entry.parkedAt != nil && (try? checkout.headCommit())??.hex == entry.parkedAt
    }

    /// The changes of a pooled checkout that taking it would overwrite: those to tracked files
    /// (untracked ones are what the last batch left, and are cleaned).
    static func trackedChanges(in checkout: Repository) throws -> [FileStatus] {
        try checkout.uncommittedChanges().filter { $0.kind != .untracked }
    }

    private func read() throws -> Manifest? {
        try AtomicFile.readJSON(Manifest.self, from: manifestFile)
    }

    private func write(_ manifest: Manifest) throws {
        try AtomicFile.writeJSON(manifest, to: manifestFile)
    }

    /// Runs `body` holding the pool's lock (one batch at a time changes `pool.json`).
    private func locked<Value>(_ body: () throws -> Value) throws -> Value {
        let lock = try FileLock(path: "\(directory)/pool.lock", wait: true)
        defer { lock.release() }
        return try body()
    }

    /// A short stable hash (FNV-1a, 64 bits, 12 hex digits) that tells apart repositories with the
    /// same folder name, and setup commands.
    static func hash(_ text: String) -> String {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x100_0000_01b3
        }
        return String(String(value, radix: 16).suffix(12))
    }
}
