import FoundationEssentials
import Queue
import FoundationShims
import Git

/// The checks a batch on a shared queue passes before anything is written: one repository,
/// with a remote whose branches hold the base commit (every worker starts there).
public enum RemoteBatchBase {
    /// `plan` with its record's `remote` filled in: the remote's URL (a relative path made
    /// absolute), and the queue's address without its password.
    ///
    /// - Throws: `RemoteTaskError` naming what to do: the repository has no such remote, the base
    ///   commit is not on it (with the `git push` to run), or the batch's name is taken on the
    ///   queue or the remote; `GitError` when the remote cannot be fetched, what opening the
    ///   queue throws when it cannot be reached.
    public static func check(_ plan: BatchPlan, queue: TaskQueueAddress, remoteName: String, localWorkers: Int) throws -> BatchPlan {
        guard plan.record.repos.count == 1, let repo = plan.record.repos.first else {
            throw RemoteTaskError("batch \(plan.record.name) names \(plan.record.repos.count) repositories; a batch on a shared queue works on one: split the tasks file")
        }
        let repository = try Repository.open(at: repo.path)
        guard let given = try repository.remoteURL(remoteName) else {
            let known = (try? repository.remoteNames()) ?? []
            throw RemoteTaskError("the repository \(repo.path) has no remote '\(remoteName)'"
                + (known.isEmpty ? "; add the one every worker host can reach: git -C \(repo.path) remote add \(remoteName) URL"
                                 : " (it has \(known.joined(separator: ", "))); name one with --remote"))
        }
        try repository.fetch(remote: remoteName, passwords: GitCredentialHelper(directory: repo.path))
        let base = try ObjectID(hex: repo.baseCommit)
        let tracking = try repository.references(prefix: "refs/remotes/\(remoteName)/")
        guard tracking.contains(where: { repository.contains(base, in: $0.commit) }) else {
            throw RemoteTaskError("the base commit \(base.short) (\(repo.base)) of batch \(plan.record.name) is not on the remote \(remoteName) (\(given)), where the workers start from it; push it first: git -C \(repo.path) push \(remoteName) \(repo.base)")
        }
        let name = plan.record.name
        if !(try repository.references(prefix: "refs/remotes/\(remoteName)/conductor/\(name)/").isEmpty) {
            throw RemoteTaskError("the remote \(remoteName) (\(given)) has branches of a batch named \(name) already (conductor/\(name)/…); pick another --name")
        }
        if !(try queue.open().rows(batch: name).isEmpty) {
            throw RemoteTaskError("the queue \(queue) has a batch named \(name) already (perhaps another host's); pick another --name, or resume that batch with conductor batch --resume -n \(name) --queue ADDRESS")
        }
        var plan = plan
        plan.record.remote = RemoteBatchRecord(queue: queue, remoteName: remoteName, remoteURL: absoluteURL(given, repository: repo.path),
                                               localWorkers: localWorkers)
        return plan
    }

    /// A remote given as a path relative to the repository (`../app.git`), made absolute, as
    /// workers resolve it elsewhere; URLs and `host:path` stay as they are.
    private static func absoluteURL(_ url: String, repository: String) -> String {
        url.contains(":") || url.hasPrefix("/") ? url : Path.absolute(url, relativeTo: repository)
    }
}
