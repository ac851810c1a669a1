import FoundationEssentials

/// Something that shows a batch's workers to people: a worker's label is `w<number>` in a local
/// batch and, in a batch run on a PostgreSQL queue, the worker's name (`hostA-0`). Either way it
/// is the last part of the worker's branch, `conductor/<batch>/<label>`.
public protocol WorkerNaming {
    /// The names of a remote batch's workers, by worker number (`RemoteBatchRecord.workerNames`);
    /// nil for a local batch.
    var workerNames: [String]? { get }
}

extension WorkerNaming {
    /// How people see worker `number`: its name in a remote batch, else `w<number>`.
    public func workerLabel(_ number: Int) -> String {
        workerNames.flatMap { $0.indices.contains(number) ? $0[number] : nil } ?? "w\(number)"
    }
}

extension BatchRecord: WorkerNaming {
    public var workerNames: [String]? { remote?.workerNames }
}
