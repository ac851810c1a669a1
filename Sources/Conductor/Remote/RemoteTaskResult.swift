import FoundationEssentials

/// What a remote worker records as a task's result (the row's `result`, as JSON): the task, who
/// ran it where, and how it ended, in the shape of a local batch's `results.jsonl` lines
/// (`jq .result.status`, `.result.commit`, `.result.branch`).
///
/// The log paths in `result` are on the worker's host (`host`).
public struct RemoteTaskResult: Codable, Sendable, Equatable {
    public var task: TaskSpec
    /// The worker's name (`hostA-0`).
    public var worker: String
    /// The host the worker ran on.
    public var host: String
    public var result: TaskResult.Outcome

    public init(task: TaskSpec, worker: String, host: String, result: TaskResult.Outcome) {
        self.task = task
        self.worker = worker
        self.host = host
        self.result = result
    }
}
