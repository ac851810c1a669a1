import FoundationEssentials
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

extension MergeReport {
    /// A task of a worktree batch or session that finished `done` but made no commit: nothing of
    /// it reaches its branch.
    public struct UnchangedTask: Codable, Sendable, Equatable {
        public var task: String
        public var worker: Int?
        /// What the task wrote that `.gitignore` ignores, as `git status --ignored` names it
        /// (`docs/`, `out.log`): never committed, and deleted with the worktree at prune.
        public var ignoredPaths: [String]

        /// The hint for people: why nothing was committed, when the task did write something.
        public var hint: String? {
            ignoredPaths.isEmpty ? nil : "it wrote only paths .gitignore ignores (\(namingIgnoredPaths { $0 })): not committed, and lost at prune"
        }

        /// The ignored paths as a hint names them, each through `name`: the first ten, then how
        /// many more (a build can write thousands; the JSON has them all).
        func namingIgnoredPaths(_ name: (String) -> String) -> String {
            let shown = 10
            let named = ignoredPaths.prefix(shown).map(name).joined(separator: ", ")
            return ignoredPaths.count > shown ? "\(named) and \(ignoredPaths.count - shown) more" : named
        }
    }

    /// The tasks of `results` that finished `done` without a commit, in a batch or session with
    /// worktrees (where each task's work is committed); none without worktrees. For each, the
    /// ignored paths of its worker's worktree that hold something modified while it ran.
    ///
    /// - Parameter ignoredPaths: the ignored paths of a worker's worktree in a repository of the
    ///   batch, as `WorkingDirectoryStatus` names them (the report reads them with the worktree's
    ///   status).
    static func unchangedTasks(in batch: BatchRecord, results: [TaskResult],
                               ignoredPaths: (BatchRepository, Int) -> [String]) -> [UnchangedTask] {
        guard batch.worktrees else { return [] }
        return results.filter { $0.result.status == .done && $0.result.commit == nil && ($0.result.commits ?? []).isEmpty }.map { result in
            UnchangedTask(task: result.task.id, worker: result.worker, ignoredPaths: result.worker.map { worker in
                ignoredWrites(of: result.result, worker: worker, in: batch, results: results) { ignoredPaths($0, worker) }
            } ?? [])
        }
    }

    /// The ignored paths of worker `worker`'s worktrees (one per repository; the task ran in one
    /// of them) with a file or directory modified between the task's start and finish.
    private static func ignoredWrites(of outcome: TaskResult.Outcome, worker: Int, in batch: BatchRecord, results: [TaskResult],
                                      ignoredPaths: (BatchRepository) -> [String]) -> [String] {
        guard let start = outcome.startedAt, let end = outcome.finishedAt, start <= end else { return [] }
        // The kernel stamps files with a clock up to a tick behind the one the start was read
        // from, so the window opens a little early, but never before the worker's previous task
        // ended (its files are its own). Times are kept to the millisecond, rounded down.
        let previousEnd = results.filter { $0.worker == worker }.compactMap(\.result.finishedAt).filter { $0 < start }.max()
        let opens = max(start.addingTimeInterval(-0.01), previousEnd?.addingTimeInterval(0.001) ?? .distantPast)
        let window = opens...end.addingTimeInterval(0.001)
        return batch.repos.flatMap { repo -> [String] in
            let worktree = batch.worktreePath(repo, worker: worker)
            return ignoredPaths(repo).filter { path in
                var budget = 10_000
                return modified(Path.join(worktree, path.hasSuffix("/") ? String(path.dropLast()) : path), within: window, budget: &budget)
            }
        }
    }

    /// True when `path`, or anything under it, was modified within `window`; at most `budget`
    /// entries are looked at (an ignored `node_modules/` can be huge).
    private static func modified(_ path: String, within window: ClosedRange<Date>, budget: inout Int) -> Bool {
        var info = stat()
        guard budget > 0, lstat(path, &info) == 0 else { return false }
        budget -= 1
        let time = Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
        if window.contains(time) { return true }
        guard info.st_mode & S_IFMT == S_IFDIR, let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return false }
        return names.contains { modified(Path.join(path, $0), within: window, budget: &budget) }
    }
}
