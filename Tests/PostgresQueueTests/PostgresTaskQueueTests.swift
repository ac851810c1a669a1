import Foundation
import Postgres
import PostgresQueue
import Testing
import TestSupport

/// What is PostgreSQL's own in its queue, against a real server started for each test: the
/// schema and its version, and a password kept out of errors. The rules every `TaskQueue` keeps
/// are in `TaskQueueConformanceTests`.
@Suite(.serialized, .timeLimit(.minutes(3)), .disabled(if: PostgresServer.unavailable != nil, "\(PostgresServer.unavailable ?? "")"))
struct PostgresTaskQueueTests {
    @Test func theSchemaIsMadeOnceAndANewerOneIsRefused() throws {
        let server = try PostgresServer()
        let connection = try PostgresConnection(url: server.url)
        _ = try PostgresTaskQueue(connection: connection)
        _ = try PostgresTaskQueue(connection: connection)
        #expect(try connection.execute("SELECT version FROM conductor.schema_version ORDER BY version") == [["1"], ["2"]])
        try connection.execute("INSERT INTO conductor.schema_version (version) VALUES (3)")
        #expect(throws: PostgresQueueError.newerSchema(found: 3, known: 2)) { try PostgresTaskQueue(connection: connection) }
    }

    @Test func aPasswordNeverAppearsInAnError() throws {
        let server = try PostgresServer()
        let secret = "s3cret-\(UInt32.random(in: 0...UInt32.max))"
        let url = "postgres://postgres:\(secret)@127.0.0.1:\(server.port)/no_such_database"
        do {
            _ = try PostgresConnection(url: url)
            Issue.record("connecting to a missing database succeeded")
        } catch {
            #expect(!"\(error)".contains(secret), "\(error)")
            #expect("\(error)".contains("postgres://postgres:***@127.0.0.1"), "\(error)")
        }
        #expect(PostgresURL.redacted("host=db user=u password=\(secret) dbname=x") == "host=db user=u password=*** dbname=x")
    }
}
