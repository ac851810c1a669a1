import FoundationEssentials

/// What `status` and the coordinator read: a batch's tasks, its journal, a task's claimants.
/// Without the lock: every file is replaced whole, and the journal only grows by whole lines.
extension DirectoryTaskQueue {
    /// Every task of `batch`, in submission order.
    public func rows(batch: String) throws -> [QueuedTask] {
        try Self.checkName(batch, kind: "batch")
        let file = try AtomicFile.readJSON(DirectoryBatch.self, from: layout.batchFile(batch))
        return file?.tasks.map { QueuedTask(task: $0.id, state: $0.state, attempts: $0.attempts, claimedBy: $0.claimedBy, result: $0.result?.text, spec: $0.spec.text) } ?? []
    }

    /// The journal's events for `batch`, oldest first.
    public func journal(batch: String) throws -> [QueueEvent] {
        try journalLines(batch: batch).map { QueueEvent(task: $0.task, event: $0.event, attempt: $0.attempt, worker: $0.worker) }
    }

    /// The workers that claimed `task` of `batch` so far, in the order of their first claim, but
    /// for claims they gave back (`release`): those ended before their worker let go of them.
    public func claimants(batch: String, task: String) throws -> [String] {
        let events = try journalLines(batch: batch).filter { $0.task == task && $0.worker != nil }
        let released = Set(events.filter { $0.event == "released" }.map { "\($0.attempt) \($0.worker ?? "")" })
        var workers: [String] = []
        for event in events where event.event == "claim" && !released.contains("\(event.attempt) \(event.worker ?? "")") {
            if let worker = event.worker, !workers.contains(worker) { workers.append(worker) }
        }
        return workers
    }

    /// The journal's lines for `batch`, in order. A last line without its newline is one being
    /// written (or cut short by a crash), and is left out.
    func journalLines(batch: String) throws -> [DirectoryJournalLine] {
        try Self.checkName(batch, kind: "batch")
        guard let data = try AtomicFile.read(layout.journalFile) else { return [] }
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        lines.removeLast()
        return try lines.enumerated().compactMap { number, line in
            do {
                let event = try QueueJSON.decoder.decode(DirectoryJournalLine.self, from: Data(line))
                return event.batch == batch ? event : nil
            } catch {
                throw QueueError.malformed("\(layout.journalFile) line \(number + 1)", QueueJSON.describe(error))
            }
        }
    }
}
