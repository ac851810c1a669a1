import FoundationShims
import Git

/// The refs that keep every task commit reachable even after an agent moved HEAD away from its
/// branch or reset the branch: one per task commit, under the worker branch's own name,
///
///     refs/conductor/<batch>/w<n>/<seq>-<task id>-<first 12 hex digits of the commit>
///
/// `seq` is the assignment's sequence number, so `git for-each-ref` lists them in the order the
/// worker recorded them. They are deleted together with branch `conductor/<batch>/w<n>`, never
/// on their own.
package enum TaskRefs {
    /// `refs/conductor/<batch>/w<n>/` for worker branch `conductor/<batch>/w<n>`.
    package static func prefix(forBranch branch: String) -> String {
        "refs/\(branch)/"
    }

    /// The ref naming `commit`, made by assignment `seq` of task `task` on `branch`.
    package static func name(branch: String, seq: Int, task: String, commit: ObjectID) -> String {
        prefix(forBranch: branch) + "\(seq)-\(TaskRun.safeFileName(task))-\(commit.hex.prefix(12))"
    }

    /// Where the commits of the batch a worker branch belongs to can be: the batch's branches
    /// (`refs/heads/conductor/<batch>/`) and its task refs (`refs/conductor/<batch>/`).
    static func batchScopes(ofBranch branch: String) -> [String] {
        let batch = Path.parent(branch)
        return ["refs/heads/\(batch)/", "refs/\(batch)/"]
    }
}

extension BatchRecord {
    /// Where worker `worker`'s task refs live: `refs/conductor/<name>/w<worker>/`.
    package func taskRefPrefix(worker: Int) -> String {
        TaskRefs.prefix(forBranch: branch(worker: worker))
    }
}
