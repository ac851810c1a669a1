import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif
import Queue

/// `conductor stop`: ends a launched session's workers gracefully (their running tasks are
/// recorded `cancelled`), then its tmux session. Worktrees and branches stay for `report` and `prune`.
public enum SessionStopper {
    /// - Returns: the pids of the workers stopped.
    /// - Throws: `SessionError.notRunning` when there is neither a tmux session nor a queue by that name.
    @discardableResult
    public static func stop(name: String, store: BatchStore, tmux: Tmux, log: (String) -> Void = { _ in }) throws -> [Int32] {
        let record = try? store.load(name)
        let hasSession = tmux.hasSession(name)
        guard hasSession || record != nil else { throw SessionError.notRunning(name) }
        let stopped = record.map { QueueReset.stopWorkers($0.queue, log: log) } ?? []
        if hasSession { try tmux.run(["kill-session", "-t", "=\(name)"]) }
        return stopped
    }
}
