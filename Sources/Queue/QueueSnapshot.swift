import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

/// What `conductor status` shows: every slot's state, owner and last result.
public struct QueueSnapshot: Codable, Sendable {
    /// One worker slot.
    public struct Slot: Codable, Sendable {
        public var id: Int
        /// `idle`, `working`, `done`, `error`, `stopped`, or `none` when no status was written.
        public var status: String
        /// True when a live process owns the slot's lock.
        public var alive: Bool
        public var pid: Int32?
        public var taskId: String?
        public var seq: Int?
        public var since: Date?
        public var secondsInState: Double?
        public var heartbeatAgeSeconds: Double?
        public var lastResult: LastResult?
        /// While the slot's worker runs a prompt task: what its agent is doing now.
        public var activity: TaskActivity?
    }

    /// The slot's latest `result.json`, abridged.
    public struct LastResult: Codable, Sendable {
        public var taskId: String
        public var seq: Int
        public var status: ResultStatus
        public var finishedAt: Date
        public var durationMs: Int
    }

    public var queue: String
    /// The pid of the orchestrator running on this queue, if one is.
    public var orchestratorPid: Int32?
    public var workers: [Slot]
    /// The orchestrator holds prompts until an agent's usage limit resets.
    public var usageLimit: UsageLimitNotice?

    /// Reads the state of every slot of `root`.
    public static func read(_ root: QueueRoot, now: Date = Date()) -> QueueSnapshot {
        let slots = root.existingSlots().map { slot -> Slot in
            let status = try? slot.readStatus()
            let owner = slot.liveOwner()
            let result = try? slot.readResult()
            return Slot(
                id: slot.id,
                status: status?.status.rawValue ?? "none",
                alive: owner != nil,
                pid: owner?.pid ?? status?.pid,
                taskId: status?.taskId,
                seq: status?.seq,
                since: status?.since,
                secondsInState: status.map { now.timeIntervalSince($0.since) },
                heartbeatAgeSeconds: status.map { now.timeIntervalSince($0.heartbeat) },
                lastResult: result.map { LastResult(taskId: $0.taskId, seq: $0.seq, status: $0.status, finishedAt: $0.finishedAt, durationMs: $0.durationMs) },
                activity: status?.status == .working && owner != nil ? status?.activity : nil)
        }
        let orchestrator = FileLock.holder(of: root.orchestratorLockFile)
        let notice = orchestrator == nil ? nil : (try? AtomicFile.readJSON(UsageLimitNotice.self, from: root.usageLimitFile)) ?? nil
        return QueueSnapshot(queue: root.path, orchestratorPid: orchestrator, workers: slots,
                             usageLimit: notice.flatMap { $0.until > now ? $0 : nil })
    }
}

/// `<queue>/usage-limit.json`: prompts wait until `until`, because their agent hit its usage limit.
public struct UsageLimitNotice: Codable, Sendable, Equatable {
    public var until: Date
    /// The agent's own words.
    public var reason: String

    public init(until: Date, reason: String) {
        self.until = until
        self.reason = reason
    }
}

extension QueueRoot {
    /// Where the orchestrator says that prompts wait for a usage limit to reset.
    public var usageLimitFile: String { "\(path)/usage-limit.json" }
}
