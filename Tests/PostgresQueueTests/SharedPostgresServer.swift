import Postgres
import Testing
import TestSupport

/// One PostgreSQL server for all the tests of a suite: started before the first, stopped after
/// the last; none where PostgreSQL is not installed (`current` is nil). A server costs a second
/// or more of CPU to make (initdb, then start), which the tests running beside it on the same
/// cores wait for.
struct SharedPostgresServer: SuiteTrait, TestScoping {
    /// The suite's server, inside a test of a suite with this trait.
    @TaskLocal static var current: PostgresServer?

    /// The URL of a new, empty database on the suite's server, for a test of its own.
    static func freshDatabase(prefix: String) throws -> String {
        let server = try #require(current)
        let name = "\(prefix)_\(UInt32.random(in: 0...UInt32.max))"
        try PostgresConnection(url: server.url).execute("CREATE DATABASE \(name)")
        return "postgres://postgres@127.0.0.1:\(server.port)/\(name)"
    }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        guard PostgresServer.unavailable == nil else { return try await function() }
        let server = try await offThePool { try PostgresServer() }
        try await Self.$current.withValue(server) { try await function() }
    }
}

extension Trait where Self == SharedPostgresServer {
    /// One PostgreSQL server for all the tests of the suite: `SharedPostgresServer.current`.
    static var sharedPostgresServer: Self { Self() }
}
