import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif
import Queue

/// `conductor stop`: ends a launched session's workers gracefully (their running tasks are
/// recorded `cancelled`), then its tmux session. Worktrees and branches stay for `report` and `prune`.
///
/// Only sessions `conductor launch` made are touched: the tmux session carries the directory of
/// its record (`Tmux.recordOption`), so the record is found from the session itself, whatever
/// `-d` says; a tmux session without that mark is refused.
package enum SessionStopper {
    /// What `stop` did.
    package struct Outcome: Codable, Sendable {
        package var name: String
        /// The session's record directory.
        package var directory: String
        /// The pids of the workers stopped.
        package var workers: [Int32]
        /// True when a tmux session was ended (false when only left-over workers were stopped).
        package var endedTmuxSession: Bool
    }

    /// - Throws: `SessionError.notOurs` for a tmux session launch did not make,
    ///   `SessionError.notRunning` when there is neither a session nor a session record by that name.
    @discardableResult
    package static func stop(name: String, store: BatchStore, tmux: Tmux, log: (String) -> Void = { _ in }) throws -> Outcome {
        if tmux.hasSession(name) {
            guard let directory = tmux.recordDirectory(ofSession: name),
                  let record = try? BatchStore(path: Path.parent(directory)).load(Path.name(directory)), record.isSession else {
                throw SessionError.notOurs(name)
            }
            let stopped = QueueReset.stopWorkers(record.queue, log: log)
            try tmux.run(["kill-session", "-t", "=\(name)"])
            return Outcome(name: name, directory: record.directory, workers: stopped, endedTmuxSession: true)
        }
        guard let record = try? store.load(name), record.isSession else { throw SessionError.notRunning(name) }
        return Outcome(name: name, directory: record.directory, workers: QueueReset.stopWorkers(record.queue, log: log), endedTmuxSession: false)
    }
}
