import FoundationEssentials

/// Something that shows a batch's workers to people: a worker's label is `w<number>` in a local
/// batch and, in a batch run on a shared queue, the worker's name (`hostA-0`). Either way it
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

extension BatchRecord {
    /// The worker `label` names: a worker's label (`w1`, a remote batch's `hostA-0`) or its number
    /// (`1`, or `w1` in a remote batch too); nil when the batch has no such worker.
    public func worker(labeled label: String) -> Int? {
        let numbers = 0..<workers
        if let number = numbers.first(where: { workerLabel($0) == label }) { return number }
        guard let number = Int(label.hasPrefix("w") ? String(label.dropFirst()) : label), numbers.contains(number) else { return nil }
        return number
    }

    /// The workers' labels, for a message: `w0…w2` (`w0` alone), or a remote batch's names.
    public var describedWorkers: String {
        if let workerNames { return workerNames.isEmpty ? "none" : workerNames.joined(separator: ", ") }
        return "w0" + (workers > 1 ? "…w\(workers - 1)" : "")
    }
}
