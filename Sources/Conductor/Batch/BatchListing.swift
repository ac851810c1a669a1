import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif
import Queue

/// One line of `conductor list`: a batch or session, where it works, and how it stands.
public struct BatchListing: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case batch, session }

    public enum State: String, Codable, Sendable {
        /// A batch whose orchestrator holds the queue.
        case running
        /// A batch that ran every task to a final record.
        case done
        /// A batch stopped (Ctrl-C, or killed) before every task had a final record.
        case interrupted
        /// A batch made but never run.
        case notStarted = "not started"
        /// A session with a tmux session or live workers.
        case up
        /// A session stopped.
        case down
    }

    public var name: String
    public var kind: Kind
    public var createdAt: Date
    public var directory: String
    /// The repositories' main checkouts.
    public var repos: [String]
    public var state: State
    /// Tasks in the batch (for a session: tasks with a final record).
    public var tasks: Int
    /// Tasks with a final record.
    public var finished: Int
    /// Finished tasks that failed or timed out.
    public var failed: Int
    /// Finished tasks that were cancelled (Ctrl-C, stop) or skipped.
    public var cancelled: Int
    /// The agents' reported cost over the finished tasks.
    public var costUsd: Double
    /// The tokens the agents reported over the finished tasks (for agents that give no cost).
    public var inputTokens: Int
    public var outputTokens: Int

    /// Every batch and session of `store`, newest first.
    ///
    /// - Parameter tmux: tells whether a session's tmux session exists (nil: tmux is not installed).
    package static func list(_ store: BatchStore, tmux: Tmux?) -> [BatchListing] {
        store.records().map { listing(of: $0, tmux: tmux) }
    }

    /// How `record` stands now, from its journal, results, queue lock and tmux session.
    package static func listing(of record: BatchRecord, tmux: Tmux?) -> BatchListing {
        // A session's submitted tasks are recorded in its results.jsonl, a batch's in its journal
        // (a remote batch's in the queue, written to its results.jsonl at the end).
        let finals = record.isSession || record.remote != nil ? (try? MergeReport.readResults(record.resultsFile)) ?? []
            : Array(((try? BatchRun.finalResults(journal: record.journalFile)) ?? [:]).values)
        let planned = (try? TasksFile.load(record.tasksCopy))?.tasks.count
        let failed = finals.filter { [.error, .timeout].contains($0.result.status) }.count
        let cancelled = finals.filter { [.cancelled, .skipped].contains($0.result.status) }.count
        let state: State
        if record.isSession {
            let live = tmux?.recordDirectory(ofSession: record.name) == record.directory
                || QueueSnapshot.read(record.queue).workers.contains(where: \.alive)
            state = live ? .up : .down
        } else if FileLock.holder(of: record.queue.orchestratorLockFile) != nil {
            state = .running
        } else if record.remote == nil && !FileManager.default.fileExists(atPath: record.journalFile) {
            state = .notStarted
        } else {
            let complete = finals.count >= (planned ?? 0) && !finals.contains { $0.result.status == .cancelled }
            state = complete ? .done : .interrupted
        }
        let usage = MergeReport.Ledger(results: finals, batchAgent: record.agent.label, workerLabel: record.workerLabel).total
        return BatchListing(
            name: record.name, kind: record.isSession ? .session : .batch, createdAt: record.createdAt, directory: record.directory,
            repos: record.repos.map(\.path), state: state, tasks: planned ?? finals.count, finished: finals.count, failed: failed, cancelled: cancelled,
            costUsd: usage.costUsd, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens)
    }
}
