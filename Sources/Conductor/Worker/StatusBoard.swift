import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif
import Queue
import Synchronization

/// Owns a slot's `status.json`: every state change and every heartbeat goes through it, under one
/// lock, so a heartbeat can never write back a state that has already changed.
final class StatusBoard: Sendable {
    private let slot: WorkerSlot
    private let current: Mutex<WorkerStatus>

    init(slot: WorkerSlot, seq: Int) throws {
        self.slot = slot
        let now = Date()
        let status = WorkerStatus(status: .idle, pid: getpid(), taskId: nil, seq: seq, since: now, heartbeat: now)
        current = Mutex(status)
        try slot.write(status)
    }

    /// Enters `state` for the task `taskId`/`seq`; `taskPid` names the task's process while working.
    func set(_ state: WorkerState, taskId: String?, seq: Int, taskPid: Int32? = nil) throws {
        try current.withLock { status in
            let now = Date()
            status = WorkerStatus(status: state, pid: status.pid, taskId: taskId, seq: seq, since: now, heartbeat: now)
            status.taskPid = taskPid
            status.taskStartTime = taskPid.flatMap(ProcessInfo.startTime)
            try slot.write(status)
        }
    }

    /// Records what the running task `seq`'s agent is doing. The file is rewritten at once when
    /// `changed` (a new tool use or turn); new counts alone wait for the next heartbeat.
    func note(_ activity: TaskActivity, seq: Int, changed: Bool) throws {
        try current.withLock { status in
            guard status.status == .working, status.seq == seq else { return }
            status.activity = activity
            if changed { try slot.write(status) }
        }
    }

    /// Rewrites the current state with a fresh heartbeat.
    func beat() throws {
        try current.withLock { status in
            status.heartbeat = Date()
            try slot.write(status)
        }
    }
}
