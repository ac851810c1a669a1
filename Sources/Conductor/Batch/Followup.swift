import FoundationEssentials
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import FoundationShims
import Queue

/// `conductor followup`: continues a finished prompt task in its own worktree, in the agent's own
/// session (`claude -p --resume SESSION`, `codex exec resume THREAD`), and commits what the follow-up changed as a new commit
/// of that task on its worker's branch.
public enum Followup {
    /// Runs `prompt` as a follow-up of task `taskID` of `record`, and records it in the batch's
    /// results (the task's commits so far, plus the new one).
    ///
    /// - Throws: `BatchError.running` while the batch or session has live workers (the worktree is
    ///   theirs), `FollowupError` when the task cannot be continued.
    public static func run(_ record: BatchRecord, taskID: String, prompt: String,
                           environment: [String: String] = ProcessInfo.processInfo.environment) throws -> TaskResult {
        if let pid = FileLock.holder(of: record.queue.orchestratorLockFile) { throw BatchError.running(name: record.name, pid: pid) }
        if let owner = record.queue.existingSlots().lazy.compactMap({ $0.liveOwner() }).first {
            throw BatchError.running(name: record.name, pid: owner.pid)
        }
        let results = try MergeReport.readResults(record.resultsFile)
        guard let previous = results.last(where: { $0.task.id == taskID }) else {
            throw FollowupError.noSuchTask(taskID, known: results.map(\.task.id))
        }
        guard previous.task.prompt != nil, let worker = previous.worker, let session = previous.result.agent?.sessionId else {
            throw FollowupError.notAnAgentTask(taskID)
        }
        guard record.worktrees else { throw FollowupError.noWorktree(taskID) }
        let plan = try BatchPlan.resuming(record, checking: nil)
        let repo = record.repos[plan.repoOfTask[plan.tasks.firstIndex { $0.id == taskID } ?? 0]]
        let baseAgent = try previous.task.agent.map { try Agent.named($0) } ?? record.agent.agent(environment: environment)
        var configuration = WorkerConfiguration(id: worker, directory: record.worktreePath(repo, worker: worker), queue: record.queue,
                                                agent: try baseAgent.resuming(session: session))
        configuration.environment = environment
        var task = previous.task
        task.kind = .prompt(prompt)
        let slot = record.queue.slot(worker)
        var assignment = TaskAssignment(id: taskID, seq: TaskPicker.watermark(of: slot) + 1, prompt: prompt, attempt: 1)
        assignment.cwd = configuration.directory
        assignment.commit = try record.worktreePlacement(for: task, worker: worker, repo: repo, path: configuration.directory).commit
        let outcome = TaskRun(assignment: assignment, slot: slot, configuration: configuration).perform(started: { _ in }, activity: { _, _ in })
        var followed = TaskResult(task: previous.task, worker: worker, result: .init(outcome))
        followed.result.commits = (previous.result.commits ?? []) + (followed.result.commits ?? [])
        followed.result.commit = followed.result.commit ?? previous.result.commit
        followed.result.attempts = previous.result.attempts
        try Submission.recordResults([followed], in: record)
        return followed
    }
}

/// A task `conductor followup` cannot continue, worded with the reason.
public enum FollowupError: Error, CustomStringConvertible {
    case noSuchTask(String, known: [String])
    case notAnAgentTask(String)
    case noWorktree(String)

    public var description: String {
        switch self {
        case .noSuchTask(let id, let known):
            return "no task '\(id)' has a result in this batch" + (known.isEmpty ? "" : " (tasks: \(known.prefix(10).joined(separator: ", ")))")
        case .notAnAgentTask(let id):
            return "task '\(id)' has no agent session to continue: only a prompt task whose agent reported a session id can be followed up"
        case .noWorktree(let id):
            return "task '\(id)' ran without --worktrees: a follow-up is committed in the task's own worktree, and it has none"
        }
    }
}
