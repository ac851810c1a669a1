import FoundationEssentials

/// What `batch.json` holds of a batch run on a shared queue (its `remote` field):
///
///     "remote": {"queue": "postgres://conductor:***@db/conductor", "remoteName": "origin",
///                "remoteURL": "git@host:team/app.git", "localWorkers": 2, "workerNames": ["hostA-0", "vm-b1-0"]}
///
/// Reports number worker branches (`MergeReport.WorkerBranch.worker`); a remote batch's workers
/// have names instead, so worker `n` of its record is `workerNames[n]`, on branch
/// `conductor/<batch>/<workerNames[n]>` (see `BatchRecord.branch(worker:)`).
public struct RemoteBatchRecord: Codable, Sendable, Equatable {
    /// The queue's address without its password (`TaskQueueAddress.description`): `--resume`
    /// needs it given again.
    public var queue: String
    /// The repository's remote the base was checked on and the workers' branches are fetched from.
    public var remoteName: String
    /// That remote's URL, which every worker clones.
    public var remoteURL: String
    /// How many workers the coordinator ran on its own host.
    public var localWorkers: Int
    /// The workers that claimed a task of the batch (in the order of their first claim), then any
    /// other worker branch of the batch found on the remote (by name).
    public var workerNames: [String]

    public init(queue: TaskQueueAddress, remoteName: String, remoteURL: String, localWorkers: Int, workerNames: [String] = []) {
        self.queue = queue.description
        self.remoteName = remoteName
        self.remoteURL = remoteURL
        self.localWorkers = localWorkers
        self.workerNames = workerNames
    }
}

extension BatchRecord {
    /// Why `queue` is not the queue this batch runs on (it ran on its own queue directory, or on
    /// another shared queue, named without its password), or nil when it is.
    public func queueProblem(_ queue: TaskQueueAddress) -> String? {
        guard let remote else {
            return "batch \(name) ran on its own queue directory, not a shared one: leave out --queue (and unset $CONDUCTOR_QUEUE)"
        }
        guard queue.description == remote.queue else {
            return "batch \(name) runs on the queue \(remote.queue), not \(queue): give that address to --queue"
        }
        return nil
    }
}
