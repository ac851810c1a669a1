import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif
import Queue

/// An append-only, fsync'd log of a run: every assignment, retry and result, one JSON object per
/// line. Lines are buffered and made durable together by `sync()`, which the orchestrator calls
/// before it writes any `task.json`: nothing is assigned that the journal does not already hold.
public final class Journal {
    /// One line of the journal.
    public struct Entry: Codable, Sendable, Equatable {
        public enum Event: String, Codable, Sendable { case start, assign, retry, result }
        public var time: Date
        public var event: Event
        public var task: String?
        public var index: Int?
        public var worker: Int?
        public var seq: Int?
        public var attempt: Int?
        public var status: ResultStatus?
        public var reason: String?
        /// The full record, on `result` lines.
        public var record: TaskResult?
    }

    public let path: String
    private let descriptor: Int32
    private var buffer = Data()

    /// Opens (creating) the journal at `path` for appending.
    public init(path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw QueueError.io("open journal \(path)", errno) }
        self.path = path
        descriptor = fd
        // The journal's own name must survive a crash as its lines do.
        try AtomicFile.syncDirectory(Path.parent(path))
    }

    /// Where a run on `queue` keeps its journal when its caller names none:
    /// `<queue>/journal/<time>-<pid>.jsonl` (the time in ISO 8601 without colons, so runs sort by
    /// it). The queue and the folder are made, private, as needed; the journal itself is not.
    ///
    /// - Throws: `QueueError` when the folder cannot be made.
    public static func defaultPath(for queue: QueueRoot, at time: Date = Date()) throws -> String {
        let directory = "\(queue.path)/journal"
        try queue.create()
        try PrivateDirectory.make(directory)
        return "\(directory)/\(time.ISO8601Format().replacing(":", with: ""))-\(getpid()).jsonl"
    }

    deinit {
        try? sync()
        close(descriptor)
    }

    /// Buffers an entry; `sync()` writes it.
    public func append(_ event: Entry.Event, task: String? = nil, index: Int? = nil, worker: Int? = nil, seq: Int? = nil,
                       attempt: Int? = nil, status: ResultStatus? = nil, reason: String? = nil, record: TaskResult? = nil) {
        let entry = Entry(time: Date(), event: event, task: task, index: index, worker: worker, seq: seq,
                          attempt: attempt, status: status, reason: reason, record: record)
        guard let line = try? QueueJSON.encoder.encode(entry) else { return }
        buffer.append(line)
        buffer.append(0x0A)
    }

    /// Writes the buffered entries and fsyncs them.
    ///
    /// - Throws: `QueueError.io` (a full disk, say); the entries stay buffered for the next try.
    public func sync() throws {
        guard !buffer.isEmpty else { return }
        guard RawFile.write(buffer, to: descriptor) else { throw QueueError.io("write journal \(path)", errno) }
        buffer.removeAll(keepingCapacity: true)
        guard fdatasync(descriptor) == 0 else { throw QueueError.io("fsync journal \(path)", errno) }
    }

    /// Reads every complete entry of a journal (a torn last line, from a crash, is skipped).
    public static func read(_ path: String) throws -> [Entry] {
        guard let data = try AtomicFile.read(path) else { return [] }
        return data.split(separator: 0x0A).compactMap { try? QueueJSON.decoder.decode(Entry.self, from: Data($0)) }
    }
}
