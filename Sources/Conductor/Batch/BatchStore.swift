import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif
import Queue

/// The directory that holds batches (`-d/--dir`, default `~/conductor-work`).
public struct BatchStore: Sendable {
    public let path: String

    public init(path: String) {
        self.path = URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// `explicit`, else `~/conductor-work`.
    public static func resolve(_ explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> BatchStore {
        if let explicit, !explicit.isEmpty { return BatchStore(path: explicit) }
        return BatchStore(path: "\(Path.home(environment: environment))/conductor-work")
    }

    /// The names of the batches in the store, oldest first (names sort by creation time).
    public func batchNames() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: "\(path)/\($0)/\(BatchRecord.fileName)") }.sorted()
    }

    /// The batch called `name`, or the newest one when `name` is nil.
    ///
    /// - Throws: `BatchError.notFound` naming the batches that exist.
    public func load(_ name: String?) throws -> BatchRecord {
        let names = batchNames()
        guard let chosen = name ?? names.last else { throw BatchError.noBatches(path) }
        let file = "\(path)/\(chosen)/\(BatchRecord.fileName)"
        guard let record = try AtomicFile.readJSON(BatchRecord.self, from: file) else {
            throw BatchError.notFound(name: chosen, store: path, known: names)
        }
        return record
    }

    /// Saves `batch.json` atomically.
    public func save(_ record: BatchRecord) throws {
        try AtomicFile.writeJSON(record, to: "\(record.directory)/\(BatchRecord.fileName)")
    }

    /// A new batch name: the UTC time, short and sortable (`20261125-101502`), made unique.
    public func newName(now: Date = Date()) -> String {
        var seconds = time_t(now.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let two = { (value: Int32) in Format.zeroPadded(Int(value), width: 2) }
        let stem = Format.zeroPadded(Int(parts.tm_year) + 1900, width: 4) + two(parts.tm_mon + 1) + two(parts.tm_mday)
            + "-" + two(parts.tm_hour) + two(parts.tm_min) + two(parts.tm_sec)
        var name = stem
        var suffix = 2
        while FileManager.default.fileExists(atPath: "\(path)/\(name)") {
            name = "\(stem)-\(suffix)"
            suffix += 1
        }
        return name
    }
}

/// Batch failures worded for the user.
public enum BatchError: Error, CustomStringConvertible {
    case noBatches(String)
    case notFound(name: String, store: String, known: [String])
    case invalidName(String)
    case exists(String)
    case running(name: String, pid: Int32)
    case resumeMismatch(String)

    public var description: String {
        switch self {
        case .noBatches(let store):
            return "there are no batches in \(store); run one with conductor batch TASKS_FILE (or pass -d DIR)"
        case .notFound(let name, let store, let known):
            return "no batch '\(name)' in \(store)" + (known.isEmpty ? "" : " (batches: \(known.suffix(10).joined(separator: ", ")))")
        case .invalidName(let name):
            return "'\(name)' cannot be a batch name: use letters, digits, '.', '_' and '-' (it becomes part of branch names)"
        case .exists(let path):
            return "the batch directory \(path) already exists; pick another --name, or add --resume to continue it"
        case .running(let name, let pid):
            return "batch '\(name)' is running (pid \(pid)); wait for it or stop it first"
        case .resumeMismatch(let why):
            return "cannot resume: \(why)"
        }
    }
}
