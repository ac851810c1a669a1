internal import CLibgit2
import Dispatch
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import FoundationShims

extension Repository {
    /// The admin directory that holds the entries of every linked worktree.
    var worktreeAdminRoot: String { commonDirectory + "/worktrees" }

    /// An entry this young may belong to an `add` still running in another process, so the
    /// stale-entry clean-up leaves it alone.
    static let staleEntryGracePeriod: TimeInterval = 60

    /// Opens the linked worktree whose top is `path`, and only if it is still a worktree of its
    /// own: no parent directory is searched, and its `.git` must lead to an admin entry that
    /// names `path` back. A `.git` a task deleted, or pointed at the main repository or another
    /// worktree, fails instead of opening someone else's checkout.
    ///
    /// - Throws: `GitError` saying where the `.git` leads when it is not the worktree's own.
    public static func openLinkedWorktree(at path: String) throws -> Repository {
        let repository = try open(at: path, searchParents: false)
        let own = "\(repository.gitDirectory)/gitdir"
        let namedBack = (try? String(contentsOfFile: own, encoding: .utf8))?.trimmed
        guard repository.isLinkedWorktree, Path.real(repository.workingDirectory) == Path.real(path),
              let namedBack, Path.real(namedBack) == Path.real(path + "/.git") else {
            throw GitError.conductor("open worktree", "'\(path)' is not a worktree of its own: its .git leads to \(repository.gitDirectory)")
        }
        return repository
    }

    /// Every linked worktree git knows of, including ones whose directory has gone.
    public func worktrees() throws -> [WorktreeInfo] {
        var names = git_strarray()
        try check("git_worktree_list") { git_worktree_list(&names, pointer) }
        defer { git_strarray_dispose(&names) }
        return try (0..<names.count).map { index in
            try worktreeInfo(named: String(cString: names.strings[index]!))
        }
    }

    /// The worktree with admin name `name`, or nil when there is none.
    ///
    /// Only that entry is read, so a broken entry of someone else's cannot make the lookup fail.
    public func worktree(named name: String) throws -> WorktreeInfo? {
        guard Self.isEntryName(name), Self.isCompleteEntry("\(worktreeAdminRoot)/\(name)") else { return nil }
        return try worktreeInfo(named: name)
    }

    private func worktreeInfo(named name: String) throws -> WorktreeInfo {
        var worktree: OpaquePointer?
        try check("git_worktree_lookup(\(name))") { git_worktree_lookup(&worktree, pointer, name) }
        defer { git_worktree_free(worktree) }
        let path = String(cString: git_worktree_path(worktree))
        let head = try? String(contentsOfFile: "\(worktreeAdminRoot)/\(name)/HEAD", encoding: .utf8)
        let branch = head.flatMap { content -> String? in
            let line = content.trimmed
            guard line.hasPrefix("ref: refs/heads/") else { return nil }
            return String(line.dropFirst("ref: refs/heads/".count))
        }
        return WorktreeInfo(
            name: name,
            path: Self.trimmedPath(path),
            branch: branch,
            isLocked: git_worktree_is_locked(nil, worktree) > 0,
            isValid: git_worktree_validate(worktree) == 0)
    }

    /// Removes those of the entries `names` that can no longer work, as `git worktree prune` does
    /// for all: entries whose working directory is gone, and half-written entries (no `gitdir`,
    /// `commondir` or `HEAD`) that a crashed add left behind. Locked entries are kept.
    ///
    /// Only the named entries are looked at: the others belong to someone else (a worktree on an
    /// unplugged disk keeps its detached commits and its index in its entry), and git itself
    /// cleans them only when its user asks (`git worktree prune`).
    ///
    /// - Parameters:
    ///   - names: admin names of entries the caller made (or is about to make again).
    ///   - dryRun: only report what would be removed.
    /// - Returns: the names of the entries removed (or that would be).
    @discardableResult
    public func pruneStaleWorktreeEntries(named names: [String], dryRun: Bool = false) throws -> [String] {
        let files = FileManager.default
        var removed: [String] = []
        for name in Set(names).sorted() where Self.isEntryName(name) {
            let admin = "\(worktreeAdminRoot)/\(name)"
            guard Path.isDirectory(admin), !files.fileExists(atPath: admin + "/locked") else { continue }
            if !Self.isCompleteEntry(admin) {
                let modified = (try? files.attributesOfItem(atPath: admin)[.modificationDate] as? Date) ?? .distantPast
                guard Date().timeIntervalSince(modified) > Self.staleEntryGracePeriod else { continue }
                if !dryRun { try files.removeItem(atPath: admin) }
                removed.append(name)
                continue
            }
            var worktree: OpaquePointer?
            guard git_worktree_lookup(&worktree, pointer, name) == 0 else { continue }
            defer { git_worktree_free(worktree) }
            guard git_worktree_validate(worktree) < 0 else { continue }
            if dryRun {
                removed.append(name)
                continue
            }
            var options = git_worktree_prune_options()
            git_worktree_prune_options_init(&options, UInt32(GIT_WORKTREE_PRUNE_OPTIONS_VERSION))
            try check("git_worktree_prune(\(name))") { git_worktree_prune(worktree, &options) }
            removed.append(name)
        }
        return removed
    }

    /// Creates the branch of `spec` (when it has a start point) and a worktree on it.
    ///
    /// A stale entry named `spec.name` (its directory gone) is cleaned first; no other entry is
    /// touched. Parents of `spec.path` are created. When any step fails, everything this call
    /// made (admin entry, directory, branch) is removed again, so the same call can simply be
    /// retried.
    ///
    /// - Throws: `GitError` when the name is not one path component, the path exists, the branch
    ///   exists (with a start point) or is missing (without one), or libgit2 fails.
    @discardableResult
    public func addWorktree(_ spec: WorktreeSpec) throws -> WorktreeInfo {
        try pruneStaleWorktreeEntries(named: [spec.name])
        try createBranch(for: spec)
        do {
            return try addWorktree(onExistingBranch: spec)
        } catch {
            if spec.startPoint != nil { try? deleteBranchUnchecked(spec.branch) }
            throw error
        }
    }

    /// Creates every worktree in `specs`, checking them out in parallel.
    ///
    /// Stale entries with the specs' names are cleaned first; no other entry is touched.
    ///
    /// Branches are created first, one at a time (ref writes take lock files); then each worktree
    /// is added on its own thread with its own repository handle. A failure rolls back only that
    /// worktree.
    ///
    /// - Returns: one result per spec, in order.
    public static func addWorktrees(_ specs: [WorktreeSpec], repositoryAt path: String) throws -> [Result<WorktreeInfo, GitError>] {
        let repository = try Repository.open(at: path)
        try repository.pruneStaleWorktreeEntries(named: specs.map(\.name))
        var results = [Result<WorktreeInfo, GitError>?](repeating: nil, count: specs.count)
        for (index, spec) in specs.enumerated() {
            do { try repository.createBranch(for: spec) } catch let error as GitError { results[index] = .failure(error) }
        }
        let workingDirectory = repository.workingDirectory
        let pending = results.indices.filter { results[$0] == nil }
        // libgit2 makes `.git/worktrees` (and we make the worktrees' parents) with check-then-mkdir;
        // made here first, concurrent adds cannot trip over each other creating them.
        let files = FileManager.default
        try? files.createDirectory(atPath: repository.worktreeAdminRoot, withIntermediateDirectories: true)
        for index in pending {
            let parent = Path.parent(Path.absolute(specs[index].path))
            try? files.createDirectory(atPath: parent, withIntermediateDirectories: true)
        }
        let added = ParallelResults<Result<WorktreeInfo, GitError>>(count: pending.count)
        // Worktrees that start at one commit copy the files of a checkout of it (see
        // `fillWorkingDirectory`): of the repository's own when it is one, else of the first ones
        // made, as many as there are cores, which are checked out. Each checkout's index is read
        // once for all its copies.
        let start = Set(pending.map { specs[$0].startPoint }).count == 1 ? specs[pending.first ?? 0].startPoint : nil
        let repositoryFiles = start.flatMap { repository.unchangedCheckoutFiles(of: $0) }
        let checkedOut = repositoryFiles != nil ? 0 : start != nil ? min(ProcessInfo.processInfo.activeProcessorCount, pending.count) : pending.count
        let add = { @Sendable (slot: Int, files: CheckoutFiles?) in
            let spec = specs[pending[slot]]
            do {
                let handle = try Repository.open(at: workingDirectory)
                added.set(slot, .success(try files.flatMap { try? handle.addWorktree(onExistingBranch: spec, copying: $0) }
                    ?? handle.addWorktree(onExistingBranch: spec)))
            } catch {
                added.set(slot, .failure(error as? GitError ?? .conductor("add worktree", "\(error)")))
            }
        }
        DispatchQueue.concurrentPerform(iterations: checkedOut) { slot in add(slot, nil) }
        let models = repositoryFiles.map { [$0] } ?? (0..<checkedOut).compactMap { slot in
            try? start.flatMap { try Repository.open(at: added.value(slot).get().path, searchParents: false).checkoutFiles(of: $0, trustsRacyEntries: true) }
        }
        DispatchQueue.concurrentPerform(iterations: pending.count - checkedOut) { position in
            add(checkedOut + position, models.isEmpty ? nil : models[position % models.count])
        }
        for (slot, index) in pending.enumerated() {
            results[index] = added.value(slot)
            // libgit2 1.5 checks that the branch is not checked out by reading every worktree
            // entry, and gives up on one that a concurrent add is still writing: an add that
            // failed (and rolled itself back) is tried once more, alone.
            if case .failure = results[index]!, let retried = try? repository.addWorktree(onExistingBranch: specs[index]) {
                results[index] = .success(retried)
            }
            if case .failure = results[index]!, specs[index].startPoint != nil {
                try? repository.deleteBranchUnchecked(specs[index].branch)
            }
        }
        return results.map { $0! }
    }

    private func createBranch(for spec: WorktreeSpec) throws {
        guard let start = spec.startPoint else { return }
        if try branchTip(spec.branch) != nil {
            throw GitError.conductor(
                "add worktree", "branch '\(spec.branch)' already exists in '\(workingDirectory)'; pick another name or delete it")
        }
        try createBranch(spec.branch, at: start)
    }

    /// Adds the worktree of `spec` on its (existing) branch with copies of `files`, a checkout of
    /// that branch's commit (see `fillWorkingDirectory`). On failure nothing of it is left, and
    /// the caller checks out instead.
    package func addWorktree(onExistingBranch spec: WorktreeSpec, copying files: CheckoutFiles) throws -> WorktreeInfo {
        let info = try addWorktree(onExistingBranch: spec, checkout: false)
        do {
            try Repository.open(at: info.path, searchParents: false).fillWorkingDirectory(copying: files)
            return info
        } catch {
            try? FileManager.default.removeItem(atPath: "\(worktreeAdminRoot)/\(spec.name)")
            try? FileManager.default.removeItem(atPath: info.path)
            throw error
        }
    }

    /// Adds the worktree of `spec` on its (existing) branch, rolling back its own admin entry and
    /// directory on failure. Safe to call from several threads, each with its own repository.
    ///
    /// - Parameter checkout: false to leave the working directory empty (and the index unwritten).
    private func addWorktree(onExistingBranch spec: WorktreeSpec, checkout: Bool = true) throws -> WorktreeInfo {
        guard Self.isEntryName(spec.name) else {
            throw GitError.conductor("add worktree", "worktree name '\(spec.name)' must be one path component")
        }
        let files = FileManager.default
        let path = Path.absolute(spec.path)
        guard !files.fileExists(atPath: path) else {
            throw GitError.conductor("add worktree", "'\(path)' already exists; remove it or choose another directory")
        }
        let admin = "\(worktreeAdminRoot)/\(spec.name)"
        guard !files.fileExists(atPath: admin) else {
            throw GitError.conductor("add worktree", "a worktree named '\(spec.name)' already exists in '\(workingDirectory)'")
        }
        let parent = Path.parent(path)
        do {
            try files.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw GitError.conductor("add worktree", "cannot create '\(parent)': \(error)")
        }
        var reference: OpaquePointer?
        try check("git_branch_lookup(\(spec.branch))") { git_branch_lookup(&reference, pointer, spec.branch, GIT_BRANCH_LOCAL) }
        defer { git_reference_free(reference) }
        var options = git_worktree_add_options()
        git_worktree_add_options_init(&options, UInt32(GIT_WORKTREE_ADD_OPTIONS_VERSION))
        options.ref = reference
        if !checkout { options.checkout_options.checkout_strategy = GIT_CHECKOUT_NONE.rawValue }
        var worktree: OpaquePointer?
        do {
            try check("git_worktree_add(\(spec.name))") { git_worktree_add(&worktree, pointer, spec.name, path, &options) }
        } catch {
            try? files.removeItem(atPath: admin)
            try? files.removeItem(atPath: path)
            throw error
        }
        git_worktree_free(worktree)
        // libgit2 writes the common directory as an absolute path; git writes it relative, so the
        // entry still works after the repository moves and `git worktree repair` can reconnect it.
        guard (try? Data("../..\n".utf8).write(to: URL(fileURLWithPath: admin + "/commondir"), options: .atomic)) != nil else {
            throw GitError.conductor("add worktree", "cannot write \(admin)/commondir")
        }
        return try worktreeInfo(named: spec.name)
    }

    /// True when the admin entry at `admin` has the files git needs to list it.
    private static func isCompleteEntry(_ admin: String) -> Bool {
        ["gitdir", "commondir", "HEAD"].allSatisfy { FileManager.default.fileExists(atPath: "\(admin)/\($0)") }
    }

    /// True when `name` can name an admin entry: one path component.
    static func isEntryName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("/") && name != "." && name != ".."
    }
}
