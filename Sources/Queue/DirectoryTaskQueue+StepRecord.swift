import FoundationEssentials
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

/// `step.json`: one change of a directory queue, written whole before any of it is applied, so
/// that a change is all or nothing even when its process is killed halfway through.
///
/// A change that touches more than one file (the counters, the journal, batch files, `wake`)
/// first writes each new batch file beside its place (`batches/.B.json.step`), then this record
/// (by rename: the moment the change is made), then applies it and removes it. The next change,
/// under the same lock, finishes a record a killed process left: without it the journal could
/// say a task was done while its row still said claimed, and the worker that took the task
/// again after its lease ran out would journal a second `done`.
struct DirectoryQueueStepRecord: Codable {
    /// The counters to write; nil when the change gave out no seq or token.
    var counters: DirectoryQueueCounters?
    /// The journal lines to append.
    var events: [DirectoryJournalLine]
    /// The batches whose prepared file takes its place.
    var batches: [String]
    /// Whether to rewrite `wake`.
    var wakesWorkers: Bool

    /// How many files applying the record changes.
    var filesChanged: Int {
        (counters == nil ? 0 : 1) + (events.isEmpty ? 0 : 1) + batches.count + (wakesWorkers ? 1 : 0)
    }

    /// Where batch `name`'s next version waits for its record.
    static func preparedFile(of name: String, in layout: DirectoryQueueLayout) -> String {
        "\(layout.batchesDirectory)/.\(name).json.step"
    }

    /// Writes `batches` (encoded) beside their places and the record, then applies it. A record
    /// that changes one file only is applied without being written: one rename is atomic.
    ///
    /// Once the record is written the change has happened: when applying it then fails (a full
    /// disk), it is left for the next change, which finishes it before anything else (and fails
    /// until it can), so this one does not throw: its caller must not take a claim it made for
    /// one it did not.
    func commit(_ batches: [String: Data], in layout: DirectoryQueueLayout) throws {
        for (name, data) in batches { try Self.writePrepared(data, to: Self.preparedFile(of: name, in: layout)) }
        guard filesChanged > 1 else { return try apply(in: layout, afterEvent: nil) }
        try AtomicFile.write(QueueJSON.encoder.encode(self), to: layout.stepFile)
        try? apply(in: layout, afterEvent: nil)
    }

    /// Finishes the change a killed process recorded but did not apply in full, if any. Called
    /// under the queue's lock before every change.
    ///
    /// - Throws: `QueueError.malformed` naming `step.json` when it is not a record.
    static func finishInterrupted(in layout: DirectoryQueueLayout) throws {
        guard let record = try AtomicFile.readJSON(Self.self, from: layout.stepFile) else { return }
        try record.apply(in: layout, afterEvent: lastJournalSeq(layout.journalFile))
    }

    /// Applies the record: counters, journal lines after seq `journaled` (all when nil), batch
    /// files, `wake`; then removes the record.
    private func apply(in layout: DirectoryQueueLayout, afterEvent journaled: Int64?) throws {
        if let counters { try AtomicFile.rewrite(QueueJSON.encoder.encode(counters), to: layout.countersFile) }
        let unjournaled = events.filter { $0.seq > journaled ?? 0 }
        if !unjournaled.isEmpty {
            var lines = Data()
            for event in unjournaled {
                lines.append(try QueueJSON.encoder.encode(event))
                lines.append(0x0A)
            }
            try Self.append(lines, to: layout.journalFile)
        }
        for name in batches {
            let prepared = Self.preparedFile(of: name, in: layout)
            // Gone when a killed process had already moved it into place.
            guard rename(prepared, layout.batchFile(name)) == 0 || (journaled != nil && errno == ENOENT) else {
                throw QueueError.io("rename \(prepared) to \(layout.batchFile(name))", errno)
            }
        }
        // Each version of `wake` differs from the last: it holds the last seq journaled.
        if wakesWorkers { try AtomicFile.write(Data("\(events.last?.seq ?? 0)\n".utf8), to: layout.wakeFile) }
        if unlink(layout.stepFile) != 0, errno != ENOENT { throw QueueError.io("remove \(layout.stepFile)", errno) }
    }

    /// Writes a batch's next version whole into `path`, which no reader opens: only a record
    /// written after it refers to it.
    private static func writePrepared(_ data: Data, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw errno == ELOOP ? QueueError.symlink(path) : QueueError.io("create \(path)", errno) }
        defer { close(fd) }
        guard RawFile.write(data, to: fd) else { throw QueueError.io("write \(path)", errno) }
    }

    /// The seq of the journal's last whole line; 0 when it has none.
    private static func lastJournalSeq(_ path: String) throws -> Int64 {
        guard let data = try AtomicFile.read(path), let end = data.lastIndex(of: 0x0A) else { return 0 }
        let start = data[..<end].lastIndex(of: 0x0A).map { $0 + 1 } ?? data.startIndex
        do {
            return try QueueJSON.decoder.decode(DirectoryJournalLine.self, from: Data(data[start..<end])).seq
        } catch {
            throw QueueError.malformed("\(path) (its last line)", QueueJSON.describe(error))
        }
    }

    /// Appends `data` in one write, after cutting a last line that lacks its newline: its writer
    /// died mid-append (or the disk filled), and only a writer, holding the queue's lock as this
    /// one does, can have left it. Readers pass over such a line; appended to, it would become a
    /// broken line in the middle that no reader could pass.
    private static func append(_ data: Data, to path: String) throws {
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw errno == ELOOP ? QueueError.symlink(path) : QueueError.io("open \(path)", errno) }
        defer { close(fd) }
        let end = lseek(fd, 0, SEEK_END)
        guard end >= 0 else { throw QueueError.io("seek in \(path)", errno) }
        let whole = try wholeLinesLength(fd, end: end, path: path)
        if whole < end, ftruncate(fd, whole) != 0 { throw QueueError.io("cut the broken last line of \(path)", errno) }
        guard RawFile.write(data, to: fd) else { throw QueueError.io("append to \(path)", errno) }
    }

    /// The length of the file's whole lines: up to and including its last newline.
    private static func wholeLinesLength(_ fd: Int32, end: off_t, path: String) throws -> off_t {
        var chunkEnd = end
        var buffer = [UInt8](repeating: 0, count: 4096)
        while chunkEnd > 0 {
            let start = max(0, chunkEnd - off_t(buffer.count))
            let count = Int(chunkEnd - start)
            guard pread(fd, &buffer, count, start) == count else { throw QueueError.io("read \(path)", errno) }
            if let newline = buffer[..<count].lastIndex(of: 0x0A) { return start + off_t(newline) + 1 }
            chunkEnd = start
        }
        return 0
    }
}
