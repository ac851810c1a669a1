import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

/// Reads and writes whole files so that a reader never sees half of one.
///
/// A write goes to a temporary file in the same directory, which is then renamed over the target:
/// `rename` is atomic within a file system. Files are opened with `O_NOFOLLOW`, so a symlink planted
/// where a queue file belongs is refused rather than followed.
package enum AtomicFile {
    /// Replaces `path` with `data` atomically (mode 0600).
    ///
    /// - Parameter durable: also `fsync` the file before the rename and its directory after it
    ///   (for records that must survive a machine crash, not only a process crash).
    package static func write(_ data: Data, to path: String, durable: Bool = false) throws {
        let directory = Path.parent(path)
        let name = Path.name(path)
        let temporary = "\(directory)/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw QueueError.io("create \(temporary)", errno) }
        var failure: QueueError?
        if !RawFile.write(data, to: fd) { failure = .io("write \(temporary)", errno) }
        if failure == nil, durable, fsync(fd) != 0 { failure = .io("fsync \(temporary)", errno) }
        close(fd)
        if failure == nil, rename(temporary, path) != 0 { failure = .io("rename \(temporary) to \(path)", errno) }
        if let failure {
            unlink(temporary)
            throw failure
        }
        if durable { try syncDirectory(directory) }
    }

    /// Makes the entries of `directory` durable (`fsync` on the directory): a file created or
    /// renamed there survives a machine crash only once its directory has been synced.
    ///
    /// - Throws: `QueueError.io` naming the directory.
    package static func syncDirectory(_ directory: String) throws {
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw QueueError.io("open directory \(directory) to fsync it", errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw QueueError.io("fsync directory \(directory)", errno) }
    }

    /// The contents of `path`, or nil when it does not exist.
    ///
    /// - Throws: `QueueError` when the file cannot be read, or is a symlink.
    package static func read(_ path: String) throws -> Data? {
        try readVersion(path)?.data
    }

    /// The contents of `path` with the identity of the version read (inode, modification time,
    /// size), both taken from one open file, so they always belong together.
    package static func readVersion(_ path: String) throws -> (data: Data, version: [Int])? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            if errno == ELOOP { throw QueueError.symlink(path) }
            throw QueueError.io("open \(path)", errno)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw QueueError.io("stat \(path)", errno) }
        let version = [Int(info.st_ino), Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec), Int(info.st_size)]
        guard let data = RawFile.readAll(fd, sizeHint: Int(info.st_size)) else { throw QueueError.io("read \(path)", errno) }
        return (data, version)
    }

    /// Encodes `value` as JSON and writes it atomically.
    package static func writeJSON<Value: Encodable>(_ value: Value, to path: String, durable: Bool = false) throws {
        try write(try QueueJSON.encoder.encode(value), to: path, durable: durable)
    }

    /// Reads and decodes a JSON file; nil when it does not exist.
    ///
    /// - Throws: `QueueError.malformed` naming the file when it is not the expected JSON.
    package static func readJSON<Value: Decodable>(_ type: Value.Type, from path: String) throws -> Value? {
        guard let data = try read(path) else { return nil }
        do {
            return try QueueJSON.decoder.decode(type, from: data)
        } catch {
            throw QueueError.malformed(path, QueueJSON.describe(error))
        }
    }
}

/// The JSON conventions of queue files: sorted keys, ISO 8601 dates in UTC with milliseconds
/// (`2026-11-25T10:15:02.123Z`), so that two things made in one second still have an order.
/// Dates without fractional seconds, as earlier versions wrote them, read as well.
package enum QueueJSON {
    package static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(withMilliseconds))
        }
        return encoder
    }()

    package static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = (try? withMilliseconds.parse(text)) ?? (try? wholeSeconds.parse(text)) { return date }
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an ISO 8601 date")
        }
        return decoder
    }()

    private static let withMilliseconds = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    private static let wholeSeconds = Date.ISO8601FormatStyle()

    /// A one-line account of a decoding error: which field, what was wrong.
    package static func describe(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func field(_ path: [CodingKey]) -> String {
            path.isEmpty ? "top level" : "field \"" + path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".") + "\""
        }
        switch error {
        case .typeMismatch(let type, let context): return "\(field(context.codingPath)): expected \(type)"
        case .valueNotFound(let type, let context): return "\(field(context.codingPath)): expected \(type), found null"
        case .keyNotFound(let key, let context): return "\(field(context.codingPath + [key])): missing"
        case .dataCorrupted(let context): return "\(field(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
