import FoundationEssentials
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import FoundationShims
import Synchronization
import Git
import Queue

/// Makes each worker's worktree the first time the worker gets a task for a repository, copies
/// the files `.worktreeinclude` names into it, and says where each task runs.
final class WorktreeProvisioner: Sendable {
    private let plan: BatchPlan
    /// Each task's repository, by task id.
    private let repoOfTask: [String: BatchRepository]
    /// Worktrees known to be in place (`repo path NUL worker`); held while one is made, so two
    /// workers never make worktrees of one repository at once.
    private let ready = Mutex<Set<String>>([])

    init(plan: BatchPlan) {
        self.plan = plan
        repoOfTask = Dictionary(uniqueKeysWithValues: zip(plan.tasks.map(\.id), plan.repoOfTask.map { plan.record.repos[$0] }))
    }

    /// Where `task` runs on `worker`, and how its changes are committed: inside the worker's
    /// worktree (the repository itself without worktrees), and only there.
    ///
    /// - Throws: `PlacementError` when the worktree's `.git` is broken, or the task's `cwd` leads
    ///   out of it (through a symlink, say).
    func placement(for task: TaskSpec, worker: Int) throws -> Placement {
        let record = plan.record
        let repo = repoOfTask[task.id]!
        guard record.worktrees else { return Placement(cwd: try Placement.directory(of: task, in: repo.path), commit: nil) }
        let path = try ready.withLock { ready in try ensureWorktree(repo, worker: worker, ready: &ready) }
        return try record.worktreePlacement(for: task, worker: worker, repo: repo, path: path)
    }

    /// Makes, in parallel, the worktrees the first assignments will need: task i goes to worker i
    /// when every worker is free, so those pairs are made up front instead of one by one. Any
    /// failure is left for `placement`, which reports it on the task.
    func prepareFirstWorktrees() {
        let record = plan.record
        guard record.worktrees else { return }
        let firstPairs = (0..<min(record.workers, plan.tasks.count)).map { (repo: plan.repoOfTask[$0], worker: $0) }
        ready.withLock { ready in
            for (repoIndex, pairs) in Dictionary(grouping: firstPairs, by: \.repo) {
                let repo = record.repos[repoIndex]
                guard let repository = try? Repository.open(at: repo.path), let base = try? ObjectID(hex: repo.baseCommit) else { continue }
                let specs = pairs.compactMap { pair -> WorktreeSpec? in
                    let branch = record.branch(worker: pair.worker)
                    guard (try? repository.worktree(named: record.worktreeName(repo, worker: pair.worker))) ?? nil == nil,
                          (try? repository.branchTip(branch)) ?? nil == nil else { return nil }
                    return WorktreeSpec(name: record.worktreeName(repo, worker: pair.worker), path: record.worktreePath(repo, worker: pair.worker),
                                        branch: branch, startPoint: base)
                }
                guard let results = try? Repository.addWorktrees(specs, repositoryAt: repo.path) else { continue }
                for (spec, result) in zip(specs, results) {
                    guard case .success = result, (try? copyIncludedFiles(from: repository, to: spec.path)) != nil else { continue }
                    let worker = pairs.first { record.worktreeName(repo, worker: $0.worker) == spec.name }!.worker
                    ready.insert("\(repo.path)\u{0}\(worker)")
                }
            }
        }
    }

    private func ensureWorktree(_ repo: BatchRepository, worker: Int, ready: inout Set<String>) throws -> String {
        let record = plan.record
        let path = record.worktreePath(repo, worker: worker)
        let key = "\(repo.path)\u{0}\(worker)"
        if ready.contains(key) { return path }
        let repository = try Repository.open(at: repo.path)
        let name = record.worktreeName(repo, worker: worker)
        let branch = record.branch(worker: worker)
        if let existing = try repository.worktree(named: name), existing.isValid, Path.real(existing.path) == Path.real(path) {
            if record.pooledEntry(repo, worker: worker) != nil { try takeParked(path, branch: branch, repo: repo, in: repository) }
            ready.insert(key)
            return path
        }
        let branchExists = try repository.branchTip(branch) != nil
        try repository.addWorktree(WorktreeSpec(
            name: name, path: path, branch: branch, startPoint: branchExists ? nil : try ObjectID(hex: repo.baseCommit)))
        try copyIncludedFiles(from: repository, to: path)
        ready.insert(key)
        return path
    }

    /// Moves a parked pool worktree onto the worker's branch (made at the base, unless a resumed
    /// batch already has it): only the files that differ are written, what the last batch left
    /// untracked is removed, and ignored files (what `setup` made) stay.
    private func takeParked(_ path: String, branch: String, repo: BatchRepository, in repository: Repository) throws {
        let checkout = try Repository.openLinkedWorktree(at: path)
        if (try? checkout.currentBranch()) == branch { return }
        let changed = try WorktreePool.trackedChanges(in: checkout)
        guard changed.isEmpty else {
            throw PlacementError("the pooled worktree \(path) has tracked changes nobody committed (\(changed.prefix(5).map(\.path).joined(separator: ", "))); conductor does not overwrite them: commit or discard them there")
        }
        let start = try repository.branchTip(branch) ?? ObjectID(hex: repo.baseCommit)
        try checkout.switchCheckout(to: branch, at: start, message: "conductor: pooled worktree taken by batch \(plan.record.name)")
    }

    /// Copies the gitignored files listed in `.worktreeinclude` (paths or globs, one per line,
    /// `#` comments) from the main checkout into a new worktree, e.g. `.env`.
    private func copyIncludedFiles(from repository: Repository, to worktree: String) throws {
        let root = repository.workingDirectory
        guard let list = try? String(contentsOfFile: "\(root)/.worktreeinclude", encoding: .utf8) else { return }
        for line in list.split(whereSeparator: \.isNewline) {
            let pattern = line.trimmed
            guard !pattern.isEmpty, !pattern.hasPrefix("#"), !pattern.hasPrefix("/"), !pattern.contains("..") else { continue }
            for relative in expand(pattern, in: root) where try repository.isIgnored(relative) {
                let target = "\(worktree)/\(relative)"
                guard !FileManager.default.fileExists(atPath: target) else { continue }
                try FileManager.default.createDirectory(atPath: Path.parent(target), withIntermediateDirectories: true)
                try FileManager.default.copyItem(atPath: "\(root)/\(relative)", toPath: target)
            }
        }
    }

    /// The existing regular files a `.worktreeinclude` line names, relative to `root`.
    private func expand(_ pattern: String, in root: String) -> [String] {
        var matches = glob_t()
        defer { globfree(&matches) }
        guard glob("\(root)/\(pattern)", 0, nil, &matches) == 0 else { return [] }
        return (0..<Int(matches.gl_pathc)).compactMap { index in
            guard let pointer = matches.gl_pathv[index] else { return nil }
            let path = String(cString: pointer)
            guard FileManager.default.fileExists(atPath: path), !Path.isDirectory(path), path.hasPrefix(root + "/") else { return nil }
            return String(path.dropFirst(root.count + 1))
        }
    }
}
