import Foundation
import Postgres
import PostgresQueue
import Synchronization
import Testing
import TestSupport

/// The PostgreSQL queue against a real server started for each test: claims are exclusive
/// leases, a lost lease sends the task back with one attempt more, and a stale worker's result is
/// refused.
@Suite(.serialized, .timeLimit(.minutes(3)), .disabled(if: PostgresServer.unavailable != nil, "\(PostgresServer.unavailable ?? "")"))
struct PostgresTaskQueueTests {
    private static func tasks(_ count: Int) -> [(id: String, spec: String)] {
        (1...count).map { ("t\($0)", #"{"command": "true"}"#) }
    }

    @Test func concurrentWorkersClaimEveryTaskExactlyOnce() throws {
        let server = try PostgresServer()
        let queue = try PostgresTaskQueue(connection: PostgresConnection(url: server.url))
        try queue.submit(batch: "b1", tasks: Self.tasks(200))
        let claimed = LockedList()
        let failures = LockedList()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            do {
                let mine = try PostgresTaskQueue(connection: PostgresConnection(url: server.url))
                while let claim = try mine.claim(worker: "w\(worker)", lease: 60) {
                    claimed.append(claim.task)
                    guard try mine.complete(claim, succeeded: true, result: #"{"worker": \#(worker)}"#) else {
                        failures.append("\(claim.task): completion refused")
                        continue
                    }
                }
            } catch {
                failures.append("w\(worker): \(error)")
            }
        }
        #expect(failures.items.isEmpty, "\(failures.items)")
        #expect(claimed.items.count == 200)
        #expect(Set(claimed.items).count == 200, "a task was claimed twice")
        let rows = try queue.rows(batch: "b1")
        #expect(rows.count == 200 && rows.allSatisfy { $0.state == .done && $0.attempts == 1 })
        let events = try queue.journal(batch: "b1")
        #expect(events.filter { $0.event == "claim" }.count == 200)
        #expect(events.filter { $0.event == "done" }.count == 200)
        print("postgres: 200 tasks over 8 workers, claims \(claimed.items.count), distinct \(Set(claimed.items).count)")
    }

    @Test func anExpiredLeaseGoesBackWithOneAttemptMoreAndTheStaleResultIsRefused() throws {
        let server = try PostgresServer()
        let queue = try PostgresTaskQueue(connection: PostgresConnection(url: server.url))
        try queue.submit(batch: "b1", tasks: Self.tasks(1))
        // A lease of no time: as if the host had stopped past its lease.
        let stale = try #require(try queue.claim(worker: "stopped-host", lease: 0))
        #expect(stale.attempt == 1)
        #expect(try queue.claim(worker: "other", lease: 60) == nil, "a claimed task is not claimed again before it expires")
        #expect(try queue.heartbeat(stale, lease: 60) == false, "an expired lease cannot be renewed")
        #expect(try queue.requeueExpired() == ["b1/t1"])
        let fresh = try #require(try queue.claim(worker: "live-host", lease: 60))
        #expect(fresh.attempt == 2 && fresh.token != stale.token)
        #expect(try queue.complete(stale, succeeded: true, result: #"{"from": "stale"}"#) == false)
        #expect(try queue.heartbeat(fresh, lease: 60))
        #expect(try queue.complete(fresh, succeeded: true, result: #"{"from": "fresh"}"#))
        #expect(try queue.complete(fresh, succeeded: true, result: #"{"from": "again"}"#) == false, "a task is recorded once")
        let row = try #require(try queue.rows(batch: "b1").first)
        #expect(row.state == .done && row.attempts == 2 && row.claimedBy == "live-host")
        #expect(row.result?.contains("fresh") == true)
        #expect(try queue.journal(batch: "b1").map(\.event) == ["submit", "claim", "expired", "claim", "done"])
    }

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

/// A list several threads append to.
private final class LockedList: Sendable {
    private let list = Mutex<[String]>([])

    func append(_ item: String) {
        list.withLock { $0.append(item) }
    }

    var items: [String] { list.withLock { $0 } }
}
