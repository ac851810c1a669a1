import FoundationEssentials
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import FoundationShims
import Queue

/// Where a task of a batch or session runs: inside its worker's worktree (or, without worktrees,
/// its repository), never outside, and committed only there, on the worker's branch. One rule for
/// `conductor batch` and for tasks submitted to a launched session.
extension BatchRecord {
    /// The placement of `task` in worker `worker`'s worktree of `repo`, at `path`.
    ///
    /// - Throws: `PlacementError` when the worktree's `.git` is broken (its git commands would
    ///   reach the repository around it), or the task's `cwd` leads out of the worktree.
    func worktreePlacement(for task: TaskSpec, worker: Int, repo: BatchRepository, path: String) throws -> Placement {
        guard TaskCommit.openCheckout(path) != nil else {
            throw PlacementError("the worktree \(path) is no longer a checkout of its own (its .git is missing or broken), so the task was not run there; its files are left as they are")
        }
        var commit = commitRequest(for: task, worker: worker)
        commit.worktree = path
        commit.branch = branch(worker: worker)
        commit.base = repo.baseCommit
        let marker = setup.map { setup in
            pooledEntry(repo, worker: worker).map { pool(of: repo).setupMarker(of: $0, setup: setup) }
                ?? "\(directory)/state/setup-\(repo.name)-w\(worker).done"
        }
        return Placement(cwd: try Placement.directory(of: task, in: path), commit: commit, setup: setup, setupMarker: marker)
    }
}

extension Placement {
    /// The task's `cwd` under `root` (`root` itself without one).
    ///
    /// - Throws: `PlacementError` when the `cwd` is absolute or resolves outside `root` (through
    ///   `..` or a symlink).
    static func directory(of task: TaskSpec, in root: String) throws -> String {
        guard let cwd = task.cwd else { return root }
        if let problem = BatchPlan.cwdProblem(cwd, worktrees: true) { throw PlacementError("task \(task.id): field \"cwd\" \(problem)") }
        let path = Path.absolute(cwd, relativeTo: root)
        guard Path.isInside(path, root) else {
            throw PlacementError("task \(task.id): field \"cwd\" '\(cwd)' resolves to \(Path.real(path)), outside \(root); a task runs inside its worktree, so give a directory in it")
        }
        return path
    }
}

/// A task that cannot be placed in its worktree; it fails without running.
struct PlacementError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
