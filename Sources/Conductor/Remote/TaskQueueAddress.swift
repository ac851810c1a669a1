import FoundationEssentials
import FoundationShims
import Postgres
import PostgresQueue
import Queue

/// Where a shared batch's task queue is (`--queue`, or `$CONDUCTOR_QUEUE`), and how to open it:
/// the one place that picks a `TaskQueue` implementation.
///
/// - `postgres://…` or `postgresql://…`: a `PostgresTaskQueue`, for workers on any host.
/// - `file:///path`: a `DirectoryTaskQueue` in that directory, for workers that share its
///   filesystem (processes on one host, containers sharing a volume).
///
/// A plain path is not an address: it names a queue directory of worker slots, as before.
public struct TaskQueueAddress: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case postgres
        /// The directory's absolute path.
        case directory(String)
    }

    /// The address as given, password included: what local workers are handed (in their
    /// environment), never what is shown.
    public let text: String
    public let kind: Kind

    /// The address in `text`, or nil when it is not one (a queue directory's plain path).
    ///
    /// - Throws: `TaskQueueAddressError` for a `file:` address that names no absolute local path.
    public init?(_ text: String) throws {
        if PostgresURL.isPostgres(text) {
            kind = .postgres
        } else if text.lowercased().hasPrefix("file:") {
            kind = .directory(try Self.directory(of: text))
        } else {
            return nil
        }
        self.text = text
    }

    /// The address as shown, and as a batch records it: a PostgreSQL URL without its password; a
    /// directory as `file://` and its path made plain (no `.`, `..` or trailing `/`), so that one
    /// directory written two ways is one queue.
    public var description: String {
        switch kind {
        case .postgres: PostgresURL.redacted(text)
        case .directory(let path): "file://" + path
        }
    }

    /// `text` (a `--queue` value that may be no address) as it may be shown: without the password
    /// of a URL's user part.
    public static func shown(_ text: String) -> String {
        PostgresURL.redacted(text)
    }

    /// `message` without the address's password.
    public func scrub(_ message: String) -> String {
        kind == .postgres ? PostgresURL.scrub(message, of: text) : message
    }

    /// Opens the queue, creating (or migrating) it first; `label` names the opener to the
    /// database's other clients (`pg_stat_activity`).
    ///
    /// - Throws: `PostgresError` or `PostgresQueueError` for a PostgreSQL queue, `QueueError` or
    ///   `TaskQueueError` for a directory.
    public func open(label: String? = nil) throws -> any TaskQueue {
        switch kind {
        case .postgres:
            let connection = try PostgresConnection(url: text)
            if let label {
                try connection.execute("SELECT set_config('application_name', $1, false)", [String(label.prefix(63))])
            }
            return try PostgresTaskQueue(connection: connection)
        case .directory(let path):
            return try DirectoryTaskQueue(directory: path)
        }
    }

    /// The path of a `file:` address: `file:///abs/path`, `file://localhost/abs/path` or
    /// `file:/abs/path`, percent-escapes decoded, made plain.
    private static func directory(of text: String) throws -> String {
        let rest = text.dropFirst("file:".count)
        guard rest.hasPrefix("///") || rest.lowercased().hasPrefix("//localhost/") || (rest.hasPrefix("/") && !rest.hasPrefix("//")),
              let url = URL(string: "file:" + rest), case let path = url.path(percentEncoded: false), path.hasPrefix("/"),
              !path.contains("\0") else {
            throw TaskQueueAddressError(text)
        }
        guard !path.hasPrefix("/~") else {
            throw TaskQueueAddressError(text, why: "no shell expands ~ in it: write the home directory out (file:///home/me/queue)")
        }
        return Path.absolute(path)
    }
}

/// A `file:` queue address that names no absolute local path.
public struct TaskQueueAddressError: Error, CustomStringConvertible {
    public let address: String
    public let why: String

    init(_ address: String, why: String = "write file:///absolute/path (three slashes), or a postgres:// URL") {
        self.address = address
        self.why = why
    }

    public var description: String {
        "the queue address '\(address)' names no local directory: \(why)"
    }
}
