import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
internal import CLibpq
import FoundationShims

/// One connection to a PostgreSQL server through libpq. Not thread-safe: one per thread.
///
/// Statements take their values as parameters (`$1`, `$2`, …, sent apart from the SQL text, so
/// nothing is ever quoted by hand) and return rows of text values, `nil` for SQL NULL.
public final class PostgresConnection {
    private let handle: OpaquePointer
    private let pq: CLibpq
    /// The URL with its password hidden: what errors and logs may show.
    public let redactedURL: String

    /// Connects to `url` (`postgres://user:password@host:port/database?sslmode=…`, or any
    /// connection string libpq takes).
    ///
    /// - Throws: `PostgresError` with libpq's reason and the URL without its password; also when
    ///   libpq itself (libpq.so.5, loaded by the first connection) is missing.
    public init(url: String) throws {
        redactedURL = PostgresURL.redacted(url)
        do {
            pq = try LibPQ.functions()
        } catch {
            throw PostgresError(message: "cannot connect to \(redactedURL): \(error.message)", sqlState: nil)
        }
        guard let handle = pq.PQconnectdb(url) else {
            throw PostgresError(message: "cannot connect to \(redactedURL): out of memory", sqlState: nil)
        }
        guard pq.PQstatus(handle) == CONNECTION_OK else {
            let reason = Self.message(pq.PQerrorMessage(handle))
            pq.PQfinish(handle)
            throw PostgresError(message: "cannot connect to \(redactedURL): \(PostgresURL.scrub(reason, of: url))", sqlState: nil)
        }
        // The server's notices (`… already exists, skipping`) would go to stderr, amid conductor's
        // output; what matters reaches the caller as an error.
        _ = pq.PQsetNoticeProcessor(handle, { _, _ in }, nil)
        self.handle = handle
    }

    deinit {
        pq.PQfinish(handle)
    }

    /// Runs one statement and returns its rows (empty for statements that return none).
    ///
    /// - Throws: `PostgresError` with the server's message and SQLSTATE.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [String?] = []) throws -> [[String?]] {
        let result = withCStrings(parameters) { values in
            pq.PQexecParams(handle, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        guard let result else { throw PostgresError(message: Self.message(pq.PQerrorMessage(handle)), sqlState: nil) }
        defer { pq.PQclear(result) }
        switch pq.PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return []
        case PGRES_TUPLES_OK:
            return (0..<pq.PQntuples(result)).map { row in
                (0..<pq.PQnfields(result)).map { column in
                    pq.PQgetisnull(result, row, column) == 1 ? nil : pq.PQgetvalue(result, row, column).map { String(cString: $0) }
                }
            }
        default:
            let state = pq.PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            throw PostgresError(message: Self.message(pq.PQresultErrorMessage(result)), sqlState: state)
        }
    }

    /// Subscribes this connection to the notifications sent on `channel` (`LISTEN`), which
    /// `waitForNotification` waits for. The name is taken as it is: quoted, its case kept.
    public func listen(_ channel: String) throws {
        guard let quoted = pq.PQescapeIdentifier(handle, channel, channel.utf8.count) else {
            throw PostgresError(message: "cannot quote the channel name \(channel): \(Self.message(pq.PQerrorMessage(handle)))", sqlState: nil)
        }
        defer { pq.PQfreemem(quoted) }
        try execute("LISTEN \(String(cString: quoted))")
    }

    /// Waits up to `timeout` seconds for a notification on a channel this connection listens to.
    ///
    /// Every notification that has arrived is taken, so several sent together wake one wait: after
    /// it, take all the work there is before waiting again.
    ///
    /// - Returns: true when a notification arrived; false when `timeout` passed first (poll then).
    /// - Throws: `PostgresError` when the connection is lost.
    public func waitForNotification(timeout: TimeInterval) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            // Also taken: notifications libpq read while an earlier statement's result came in.
            guard pq.PQconsumeInput(handle) == 1 else {
                throw PostgresError(message: "lost the connection to \(redactedURL): \(Self.message(pq.PQerrorMessage(handle)))", sqlState: nil)
            }
            var arrived = false
            while let notification = pq.PQnotifies(handle) {
                pq.PQfreemem(notification)
                arrived = true
            }
            if arrived { return true }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { return false }
            var socket = pollfd(fd: pq.PQsocket(handle), events: Int16(POLLIN), revents: 0)
            if poll(&socket, 1, Int32(min(remaining, 86_400) * 1000 + 0.999)) < 0 && errno != EINTR {
                throw PostgresError(message: "cannot wait on the connection to \(redactedURL): \(String(cString: strerror(errno)))", sqlState: nil)
            }
        }
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    public func transaction<Value>(_ body: () throws -> Value) throws -> Value {
        try execute("BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            _ = try? execute("ROLLBACK")
            throw error
        }
    }

    private static func message(_ text: UnsafePointer<CChar>?) -> String {
        text.map { String(cString: $0).trimmed } ?? "unknown error"
    }

    private func withCStrings<Result>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> Result) -> Result {
        let copies = strings.map { $0.map { strdup($0) } ?? nil }
        defer { copies.forEach { free($0) } }
        return body(copies.map { $0.map { UnsafePointer($0) } })
    }
}

/// An error from libpq or the server: its message, and the SQLSTATE code when the server sent one.
public struct PostgresError: Error, CustomStringConvertible, Equatable {
    public let message: String
    /// The five-character SQLSTATE (`40001` serialization failure, `42P01` undefined table, …).
    public let sqlState: String?

    public var description: String { message }
}
