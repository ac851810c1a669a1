import FoundationEssentials
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

/// Where a `DirectoryTaskQueue` keeps what: every path of its directory.
struct DirectoryQueueLayout: Sendable {
    /// The queue's directory, absolute.
    let directory: String

    /// `{"kind": "tasks", "version": 1}`: what the directory is, in which format.
    var formatFile: String { "\(directory)/queue.json" }
    /// Held (`flock`) for the whole of every change.
    var lockFile: String { "\(directory)/.lock" }
    /// The last journal seq and the last claim token given out.
    var countersFile: String { "\(directory)/counters.json" }
    /// One JSON line per event, every batch's.
    var journalFile: String { "\(directory)/journal.jsonl" }
    /// Rewritten when tasks are submitted or put back; waiting workers watch it.
    var wakeFile: String { "\(directory)/wake" }
    var batchesDirectory: String { "\(directory)/batches" }
    /// The change being written, until it is written whole (`DirectoryQueueStepRecord`).
    var stepFile: String { "\(directory)/step.json" }
    /// Worker-name locks: `names/<name>.lock`.
    var namesDirectory: String { "\(directory)/names" }

    func batchFile(_ batch: String) -> String { "\(batchesDirectory)/\(batch).json" }
    func nameLock(_ worker: String) -> String { "\(namesDirectory)/\(worker).lock" }

    /// The batches that have a file, by name.
    func batchNames() throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: batchesDirectory)
        return names.filter { !$0.hasPrefix(".") && $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }
}

/// `queue.json`.
struct DirectoryQueueFormat: Codable, Equatable {
    var kind: String
    var version: Int
}

/// `counters.json`: the journal's last seq and the last claim token, each only ever increased.
struct DirectoryQueueCounters: Codable, Equatable {
    var seq: Int64 = 0
    var token: Int64 = 0
}

/// `batches/<batch>.json`: a batch's tasks in submission order.
struct DirectoryBatch: Codable {
    var batch: String
    var tasks: [DirectoryTask]

    /// The first failed task that stops the batch: while there is one, nothing of the batch is claimed.
    var stopper: DirectoryTask? { tasks.first { $0.state == .failed && $0.stopsBatch } }

    func index(of task: String) -> Int? { tasks.firstIndex { $0.id == task } }
}

/// One task in its batch's file.
struct DirectoryTask: Codable {
    var id: String
    var spec: EmbeddedJSON
    var state: QueuedTask.State
    var attempts: Int
    /// Lease expiries since the task was submitted or last put back by `resubmit`.
    var expiries: Int
    var expiryLimit: Int?
    var stopsBatch: Bool
    var claimedBy: String?
    var leaseUntil: Date?
    var token: Int64?
    var result: EmbeddedJSON?
    /// The journal seq of the task's `submit` event: claims across batches take the lowest first.
    var submitSeq: Int64
    var submittedAt: Date

    /// Whether `claim` is this task's current claim and its lease still holds at `now`.
    func isHeld(by claim: TaskClaim, at now: Date) -> Bool {
        state == .claimed && token == claim.token && (leaseUntil.map { $0 > now } ?? false)
    }
}

/// One line of `journal.jsonl`.
struct DirectoryJournalLine: Codable {
    var seq: Int64
    var at: Date
    var batch: String
    var task: String
    var event: String
    var attempt: Int
    var worker: String?
}

/// One change under the queue's lock: the batch files it read and changed, the events to
/// journal, the counters; `commit` writes them all, before the lock is let go.
struct DirectoryQueueStep {
    let layout: DirectoryQueueLayout
    /// The time of the whole step, for leases.
    let now = Date()
    private var counters: DirectoryQueueCounters
    /// The counters as read, so that a step that gives out nothing (a heartbeat) leaves them.
    private let countersRead: DirectoryQueueCounters
    private var batches: [String: DirectoryBatch?] = [:]
    private var changed: [String] = []
    private var events: [DirectoryJournalLine] = []
    /// Whether waiting workers are to be woken (tasks were submitted or put back).
    var wakesWorkers = false

    init(layout: DirectoryQueueLayout) throws {
        self.layout = layout
        countersRead = try AtomicFile.readJSON(DirectoryQueueCounters.self, from: layout.countersFile) ?? DirectoryQueueCounters()
        counters = countersRead
    }

    /// Batch `name` as this step has it; nil when it has no file.
    mutating func batch(_ name: String) throws -> DirectoryBatch? {
        if let known = batches[name] { return known }
        let read = try AtomicFile.readJSON(DirectoryBatch.self, from: layout.batchFile(name))
        batches[name] = read
        return read
    }

    /// Keeps `batch` as changed, to be written by `commit`.
    mutating func store(_ batch: DirectoryBatch) {
        if !changed.contains(batch.batch) { changed.append(batch.batch) }
        batches[batch.batch] = batch
    }

    /// Journals an event, returning its seq.
    @discardableResult
    mutating func journal(batch: String, task: String, event: String, attempt: Int, worker: String?) -> Int64 {
        counters.seq += 1
        events.append(DirectoryJournalLine(seq: counters.seq, at: now, batch: batch, task: task, event: event, attempt: attempt, worker: worker))
        return counters.seq
    }

    /// A claim token larger than any given before.
    mutating func nextToken() -> Int64 {
        counters.token += 1
        return counters.token
    }

    /// The end of a lease of `seconds` from now, to the millisecond the file keeps, rounded down:
    /// a lease of no time has run out by the next step.
    func leaseEnd(_ seconds: Double) -> Date {
        Date(timeIntervalSince1970: ((now.timeIntervalSince1970 + max(0, seconds)) * 1000).rounded(.down) / 1000)
    }

    /// Writes the step, all or nothing (`DirectoryQueueStepRecord`).
    func commit() throws {
        var encoded: [String: Data] = [:]
        for name in changed {
            if let batch = batches[name] ?? nil { encoded[name] = try QueueJSON.encoder.encode(batch) }
        }
        let record = DirectoryQueueStepRecord(counters: counters == countersRead ? nil : counters, events: events,
                                              batches: changed.filter { encoded[$0] != nil }, wakesWorkers: wakesWorkers)
        try record.commit(encoded, in: layout)
    }
}
