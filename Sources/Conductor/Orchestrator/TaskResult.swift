import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif
import Queue

/// One task's final record: the task, the worker that ran it, and how it ended.
public struct TaskResult: Codable, Sendable, Equatable {
    public var task: TaskSpec
    /// The slot whose worker ran the last attempt; nil when the task never ran.
    public var worker: Int?
    public var result: Outcome

    /// How a task ended, over all its attempts.
    public struct Outcome: Codable, Sendable, Equatable {
        public var status: ResultStatus
        public var output: String
        public var stderr: String?
        public var exitCode: Int32?
        public var signal: Int32?
        /// Why it failed, when the process itself did not say.
        public var error: String?
        /// One line saying why it did not succeed, for progress lines and tables: the agent's
        /// error or the command's most telling output line (see `FailureReason`); nil when it succeeded.
        public var reason: String?
        /// How many times it was started (1 without retries).
        public var attempts: Int
        public var durationMs: Int
        public var startedAt: Date?
        public var finishedAt: Date?
        public var seq: Int?
        public var agent: AgentReport?
        /// The task's last commit.
        public var commit: String?
        /// Every commit of the task, oldest first (the agent's own ones included).
        public var commits: [String]?
        public var branch: String?
        /// What went wrong around the task's commits, or was put right (see `TaskOutcome.warnings`).
        public var warnings: [String]?
        public var stdoutLog: String?
        public var stderrLog: String?

        /// An outcome for a task that ended without a worker's result (skipped, cancelled before
        /// it ran, or given up after its worker died).
        public static func synthetic(_ status: ResultStatus, error: String, attempts: Int) -> Outcome {
            var outcome = Outcome(status: status, output: "", error: error, attempts: attempts, durationMs: 0)
            outcome.reason = FailureReason.line(for: outcome)
            return outcome
        }

        init(status: ResultStatus, output: String, stderr: String? = nil, exitCode: Int32? = nil, signal: Int32? = nil,
             error: String?, attempts: Int, durationMs: Int) {
            self.status = status
            self.output = output
            self.stderr = stderr
            self.exitCode = exitCode
            self.signal = signal
            self.error = error
            self.attempts = attempts
            self.durationMs = durationMs
        }

        init(_ outcome: TaskOutcome) {
            self.init(status: outcome.status, output: outcome.output, stderr: outcome.stderr, exitCode: outcome.exitCode,
                      signal: outcome.signal, error: outcome.error, attempts: outcome.attempt, durationMs: outcome.durationMs)
            startedAt = outcome.startedAt
            finishedAt = outcome.finishedAt
            seq = outcome.seq
            agent = outcome.agent
            commit = outcome.commit
            commits = outcome.commits
            branch = outcome.branch
            warnings = outcome.warnings
            stdoutLog = outcome.stdoutLog
            stderrLog = outcome.stderrLog
            reason = FailureReason.line(for: self)
        }
    }

    public init(task: TaskSpec, worker: Int?, result: Outcome) {
        self.task = task
        self.worker = worker
        self.result = result
    }
}

/// Counts over a run's results.
public struct RunSummary: Codable, Sendable, Equatable {
    public var total = 0
    public var succeeded = 0
    public var failed = 0
    public var timedOut = 0
    public var cancelled = 0
    public var skipped = 0
    /// Attempts beyond the first, over all tasks.
    public var retries = 0
    public var durationMs = 0
    public var costUsd = 0.0

    public init(results: [TaskResult], durationMs: Int) {
        total = results.count
        self.durationMs = durationMs
        for record in results {
            switch record.result.status {
            case .done: succeeded += 1
            case .error: failed += 1
            case .timeout: timedOut += 1
            case .cancelled: cancelled += 1
            case .skipped: skipped += 1
            }
            retries += max(0, record.result.attempts - 1)
            costUsd += record.result.agent?.costUsd ?? 0
        }
    }

    /// True when every task succeeded.
    public var allSucceeded: Bool { succeeded == total }
}

/// What `orchestrator --json` prints: results in task order, and the summary.
public struct RunReport: Codable, Sendable {
    public var results: [TaskResult]
    public var summary: RunSummary
}
