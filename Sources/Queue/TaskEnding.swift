import FoundationEssentials

/// How a task's run ended and what it left: the part of a worker's `result.json` (`TaskOutcome`)
/// that a run's final record keeps too. The types that hold it encode its fields beside their
/// own, in one flat JSON object.
public struct TaskEnding: Codable, Sendable, Equatable {
    public var status: ResultStatus
    public var exitCode: Int32?
    /// The signal that ended the process, when one did.
    public var signal: Int32?
    /// The agent's answer, or the command's stdout (bounded; the full text is in `stdoutLog`).
    public var output: String
    /// Why the task failed when the process itself did not say (bad task, missing agent, timeout).
    public var error: String?
    public var durationMs: Int
    public var stdoutLog: String?
    public var stderrLog: String?
    public var agent: AgentReport?
    /// The task's last commit (the worker's own, else the agent's last), if any.
    public var commit: String?
    /// Every commit of the task, oldest first: those the agent made itself while the task ran,
    /// then the one the worker made of what was left uncommitted.
    public var commits: [String]?
    public var branch: String?
    /// What the worker noticed and put right (or could not): HEAD moved, recorded commits dropped
    /// from the branch, nested repositories left out of the commit, an earlier attempt's commit reused.
    public var warnings: [String]?

    public init(status: ResultStatus, exitCode: Int32? = nil, signal: Int32? = nil, output: String = "", error: String? = nil,
                durationMs: Int = 0, stdoutLog: String? = nil, stderrLog: String? = nil, agent: AgentReport? = nil,
                commit: String? = nil, branch: String? = nil) {
        self.status = status
        self.exitCode = exitCode
        self.signal = signal
        self.output = output
        self.error = error
        self.durationMs = durationMs
        self.stdoutLog = stdoutLog
        self.stderrLog = stderrLog
        self.agent = agent
        self.commit = commit
        self.branch = branch
    }

    /// Appends `more` to the warnings (which stay nil while there are none).
    public mutating func warn(_ more: [String]) {
        guard !more.isEmpty else { return }
        warnings = (warnings ?? []) + more
    }
}

/// A task's `ending` beside a `run` part that says which run it was (a worker's `TaskOutcome`,
/// a run's final record), encoded as one flat JSON object, as `result.json` and `results.jsonl`
/// have always been. The fields of both parts read as the record's own (`outcome.status`).
@dynamicMemberLookup
public protocol TaskEndingRecord: Codable {
    associatedtype Run: Codable
    var run: Run { get set }
    var ending: TaskEnding { get set }
    init(run: Run, ending: TaskEnding)
}

extension TaskEndingRecord {
    public subscript<Value>(dynamicMember field: WritableKeyPath<Run, Value>) -> Value {
        get { run[keyPath: field] }
        set { run[keyPath: field] = newValue }
    }

    public subscript<Value>(dynamicMember field: WritableKeyPath<TaskEnding, Value>) -> Value {
        get { ending[keyPath: field] }
        set { ending[keyPath: field] = newValue }
    }

    public init(from decoder: Decoder) throws {
        try self.init(run: Run(from: decoder), ending: TaskEnding(from: decoder))
    }

    public func encode(to encoder: Encoder) throws {
        try run.encode(to: encoder)
        try ending.encode(to: encoder)
    }
}
