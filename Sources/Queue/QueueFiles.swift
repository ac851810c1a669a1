import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

/// `task.json`: the work the orchestrator assigns to one slot.
package struct TaskAssignment: Codable, Sendable, Equatable {
    /// The task's id, unique within a run.
    public var id: String
    /// Increases with every assignment on the queue, so an old file is never taken for a new one.
    public var seq: Int
    /// A prompt for the agent; exactly one of `prompt` and `command` is set.
    public var prompt: String?
    /// A shell command, run with `/bin/sh -c`.
    public var command: String?
    /// The directory to run in; the worker's own directory when nil.
    public var cwd: String?
    /// Seconds before the task's process group is terminated.
    public var timeout: Double?
    /// 1 for a first try, 2 after one retry, and so on.
    public var attempt: Int
    /// The worker process the task was assigned to; another process in the slot ignores it.
    public var workerPid: Int32?
    /// When set, the worker commits what the task changed in `cwd` with this message and trailers.
    public var commit: CommitRequest?
    /// A shell command to run in `cwd` before the task, once: skipped when `setupMarker` exists,
    /// which the worker creates after the command succeeds.
    public var setup: String?
    public var setupMarker: String?
    /// The task's own agent (a preset name or a command template), instead of the worker's.
    public var agent: String?

    public init(id: String, seq: Int, prompt: String? = nil, command: String? = nil, cwd: String? = nil,
                timeout: Double? = nil, attempt: Int = 1, workerPid: Int32? = nil, commit: CommitRequest? = nil) {
        self.id = id
        self.seq = seq
        self.prompt = prompt
        self.command = command
        self.cwd = cwd
        self.timeout = timeout
        self.attempt = attempt
        self.workerPid = workerPid
        self.commit = commit
    }
}

/// How the worker should record a task's changes as a commit.
public struct CommitRequest: Codable, Sendable, Equatable {
    public var message: String
    /// `[key, value]` pairs appended as trailers.
    public var trailers: [[String]]
    /// The top of the checkout to commit in, whatever the task's `cwd`; the worker's own directory
    /// when nil. It is opened as it is: parent directories are never searched for a repository.
    public var worktree: String?
    /// The branch the commit belongs on (`conductor/<batch>/w<n>`). When set, the worker checks
    /// HEAD is on it, names each task commit with a ref under `refs/<branch>/`, and looks for the
    /// task's commits from earlier attempts on the batch's branches and refs before running it.
    public var branch: String?
    /// The batch's base commit, where the search for earlier attempts' commits stops.
    public var base: String?

    public init(message: String, trailers: [[String]], worktree: String? = nil, branch: String? = nil, base: String? = nil) {
        self.message = message
        self.trailers = trailers
        self.worktree = worktree
        self.branch = branch
        self.base = base
    }

    /// The value of trailer `key`, if the request has one.
    public func trailer(_ key: String) -> String? {
        trailers.first { $0.count == 2 && $0[0] == key }?[1]
    }
}

/// The states a worker reports in `status.json`.
public enum WorkerState: String, Codable, Sendable {
    case idle, working, done, error, stopped
}

/// `status.json`: what a worker is doing, rewritten on every change and as a heartbeat.
public struct WorkerStatus: Codable, Sendable, Equatable {
    public var status: WorkerState
    public var pid: Int32
    public var taskId: String?
    /// The seq of the task this status is about (the last one handled when idle).
    public var seq: Int
    /// When the worker entered this state.
    public var since: Date
    /// Refreshed every few seconds while the worker lives.
    public var heartbeat: Date
    /// While working: the pid (and process group id) of the task's process, and its start time
    /// in clock ticks, so whoever finds the worker dead can end the task it left behind.
    public var taskPid: Int32?
    public var taskStartTime: UInt64?
    /// While a prompt task runs, what its agent is doing now (for agents whose output is an event
    /// stream: Claude Code's stream-json, Codex, opencode).
    public var activity: TaskActivity?

    public init(status: WorkerState, pid: Int32, taskId: String?, seq: Int, since: Date, heartbeat: Date) {
        self.status = status
        self.pid = pid
        self.taskId = taskId
        self.seq = seq
        self.since = since
        self.heartbeat = heartbeat
    }
}

/// How a task ended.
public enum ResultStatus: String, Codable, Sendable {
    /// Exit status 0 (and, for an agent, no error reported).
    case done
    /// A non-zero exit, an agent error, or a task that could not start.
    case error
    /// Ended by the worker after its timeout.
    case timeout
    /// Ended because the worker (or the whole batch) was stopped.
    case cancelled
    /// Never run: a task failed with `stopOnError` before this one started.
    case skipped

    /// True only for `done`.
    public var succeeded: Bool { self == .done }
}

/// What an agent reported about its run (Claude Code's JSON output).
public struct AgentReport: Codable, Sendable, Equatable {
    public var costUsd: Double?
    public var sessionId: String?
    public var numTurns: Int?
    public var durationMs: Int?
    public var subtype: String?
    public var isError: Bool?
    /// True when the agent reported that it hit an API rate limit, a usage limit or an
    /// overloaded service (the orchestrator retries such a task after a backoff).
    public var rateLimited: Bool?
    /// Tool uses the agent's permission mode refused, e.g. `Edit src/auth.py`.
    public var permissionDenials: [String]?
    /// True when the agent hit its usage limit: every call fails until `limitResetsAt`.
    public var usageLimited: Bool?
    /// When the usage limit resets, when the agent said.
    public var limitResetsAt: Date?
    /// Tokens the agent reported, for agents that give tokens but no cost.
    public var inputTokens: Int?
    public var outputTokens: Int?

    public init(costUsd: Double? = nil, sessionId: String? = nil, numTurns: Int? = nil, durationMs: Int? = nil,
                subtype: String? = nil, isError: Bool? = nil, rateLimited: Bool? = nil) {
        self.costUsd = costUsd
        self.sessionId = sessionId
        self.numTurns = numTurns
        self.durationMs = durationMs
        self.subtype = subtype
        self.isError = isError
        self.rateLimited = rateLimited
    }
}

/// `result.json`: the outcome of one assignment, matched to it by `taskId` and `seq`: which
/// attempt it was (`run`) and how it ended (`ending`), in one flat JSON object. Their fields read
/// as the outcome's own (`outcome.status`, `outcome.seq`).
public struct TaskOutcome: TaskEndingRecord, Sendable, Equatable {
    /// The assignment this answers, who ran it, where and when, and what it wrote to stderr.
    public var run: Run
    /// How the task ended and what it left, as a run's final record keeps it too.
    public var ending: TaskEnding

    /// One attempt at a task: the part of `result.json` that is the worker's alone.
    public struct Run: Codable, Sendable, Equatable {
        public var taskId: String
        public var seq: Int
        /// The process's stderr (bounded; the full text is in `stderrLog`).
        public var stderr: String
        public var startedAt: Date
        public var finishedAt: Date
        /// The slot and process that ran the task.
        public var worker: Int
        public var workerPid: Int32
        public var attempt: Int
        public var cwd: String?
    }

    /// The outcome made of `run` and `ending`.
    public init(run: Run, ending: TaskEnding) {
        self.run = run
        self.ending = ending
    }

    public init(taskId: String, seq: Int, status: ResultStatus, exitCode: Int32? = nil, signal: Int32? = nil,
                output: String = "", stderr: String = "", error: String? = nil, durationMs: Int = 0,
                startedAt: Date = Date(), finishedAt: Date = Date(), worker: Int, workerPid: Int32, attempt: Int = 1,
                cwd: String? = nil, stdoutLog: String? = nil, stderrLog: String? = nil, agent: AgentReport? = nil,
                commit: String? = nil, branch: String? = nil) {
        self.init(
            run: Run(taskId: taskId, seq: seq, stderr: stderr, startedAt: startedAt, finishedAt: finishedAt, worker: worker,
                     workerPid: workerPid, attempt: attempt, cwd: cwd),
            ending: TaskEnding(status: status, exitCode: exitCode, signal: signal, output: output, error: error, durationMs: durationMs,
                               stdoutLog: stdoutLog, stderrLog: stderrLog, agent: agent, commit: commit, branch: branch))
    }
}
