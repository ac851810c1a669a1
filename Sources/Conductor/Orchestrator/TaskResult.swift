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

    /// How a task ended, over all its attempts: how its last attempt ended (`ending`, as the
    /// worker reported it in `TaskOutcome`) and what the final record adds (`run`), in one flat
    /// JSON object. Their fields read as the outcome's own (`outcome.status`, `outcome.attempts`).
    public struct Outcome: TaskEndingRecord, Sendable, Equatable {
        /// The task's attempts: how many, the last one's seq, times and stderr, and the reason line.
        public var run: Run
        /// How the last attempt ended and what it left; a task that never ran has only a status
        /// and an error.
        public var ending: TaskEnding

        /// The part of a final record that is not the worker's. The last attempt's seq, times and
        /// stderr are nil when the task never ran on a worker.
        public struct Run: Codable, Sendable, Equatable {
            public var seq: Int?
            public var startedAt: Date?
            public var finishedAt: Date?
            public var stderr: String?
            /// How many times it was started (1 without retries).
            public var attempts: Int
            /// One line saying why it did not succeed, for progress lines and tables: the agent's
            /// error or the command's most telling output line (see `FailureReason`); nil when it succeeded.
            public var reason: String?
        }

        /// The outcome made of `run` and `ending` as they are; its `reason` is `run.reason`.
        public init(run: Run, ending: TaskEnding) {
            self.run = run
            self.ending = ending
        }

        /// An outcome for a task that ended without a worker's result (skipped, cancelled before
        /// it ran, or given up after its worker died).
        public static func synthetic(_ status: ResultStatus, error: String, attempts: Int) -> Outcome {
            Outcome(run: Run(attempts: attempts), ending: TaskEnding(status: status, error: error)).withReason()
        }

        /// The final record of a task whose last attempt ended as `outcome` says.
        init(_ outcome: TaskOutcome) {
            self = Outcome(run: Run(seq: outcome.seq, startedAt: outcome.startedAt, finishedAt: outcome.finishedAt,
                                    stderr: outcome.stderr, attempts: outcome.attempt),
                           ending: outcome.ending).withReason()
        }

        /// This outcome with its reason line.
        private func withReason() -> Outcome {
            var outcome = self
            outcome.run.reason = FailureReason.line(for: self)
            return outcome
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
