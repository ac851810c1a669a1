import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

/// One worker's directory in the queue: `task.json`, `status.json`, `result.json`, `.lock/`, `logs/`.
package struct WorkerSlot: Sendable, Equatable {
    package let id: Int
    package let path: String

    package var taskFile: String { "\(path)/task.json" }
    package var statusFile: String { "\(path)/status.json" }
    package var resultFile: String { "\(path)/result.json" }
    package var lockDirectory: String { "\(path)/.lock" }
    package var logsDirectory: String { "\(path)/logs" }
    /// The queue the slot belongs to (`<queue>/workers/<id>`).
    package var queuePath: String { Path.parent(Path.parent(path)) }

    /// Creates the slot directory (0700) and its logs directory.
    package func create() throws {
        try PrivateDirectory.make(path)
        try PrivateDirectory.make(logsDirectory)
    }

    package func readTask() throws -> TaskAssignment? { try AtomicFile.readJSON(TaskAssignment.self, from: taskFile) }
    package func readStatus() throws -> WorkerStatus? { try AtomicFile.readJSON(WorkerStatus.self, from: statusFile) }
    package func readResult() throws -> TaskOutcome? { try AtomicFile.readJSON(TaskOutcome.self, from: resultFile) }

    // The three files are rewritten for every task: through a spare, not a new inode each time.
    package func write(_ task: TaskAssignment) throws { try AtomicFile.rewrite(QueueJSON.encoder.encode(task), to: taskFile) }
    package func write(_ status: WorkerStatus) throws { try AtomicFile.rewrite(QueueJSON.encoder.encode(status), to: statusFile) }
    package func write(_ result: TaskOutcome) throws { try AtomicFile.rewrite(QueueJSON.encoder.encode(result), to: resultFile) }

    /// Kills what the task a dead owner (`pid`) left running, so no task runs on unrecorded: its
    /// process group, when its leader is still that task's process (same start time), and every
    /// process that carries the task's identity in its environment (`CONDUCTOR_QUEUE` and
    /// `CONDUCTOR_SEQ`), such as one it started with `setsid`. Called by the orchestrator when it
    /// finds the owner dead or silent, and by the next owner when it takes the slot.
    package func endOrphanedTask(ofDeadOwner pid: Int32) {
        guard let status = try? readStatus(), status.pid == pid, status.status == .working else { return }
        if let task = status.taskPid, let started = status.taskStartTime, ProcessInfo.startTime(of: task) == started {
            kill(-task, SIGKILL)
        }
        for stray in ProcessInfo.processes(withEnvironment: Self.identity(queue: queuePath, seq: status.seq)) {
            kill(stray, SIGKILL)
        }
    }

    /// The environment variables that mark the processes of assignment `seq` on `queue`.
    package static func identity(queue: String, seq: Int) -> [String: String] {
        identity(queue: queue).merging(["CONDUCTOR_SEQ": String(seq)]) { $1 }
    }

    /// The environment variable that marks the processes of every assignment on `queue`.
    package static func identity(queue: String) -> [String: String] {
        ["CONDUCTOR_QUEUE": queue]
    }

    /// The live process that owns the slot, if any (see `SlotLock`).
    package func liveOwner() -> SlotLock.Owner? {
        if case .held(let owner) = SlotLock.probe(self) { return owner }
        return nil
    }
}
