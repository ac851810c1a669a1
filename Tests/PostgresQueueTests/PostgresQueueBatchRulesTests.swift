import Foundation
import Postgres
@testable import PostgresQueue
import Queue
import Testing
import TestSupport

/// The rules a batch's options give its tasks on the PostgreSQL queue: a limit on lease expiries
/// (`--retries`), a failure that stops the batch (`stopOnError`), failed and skipped tasks put
/// back (`--resume`), and statistics after a large submit, so that a claim does not sort the batch.
@Suite(.serialized, .timeLimit(.minutes(3)), .sharedPostgresServer,
       .disabled(if: PostgresServer.unavailable != nil, "\(PostgresServer.unavailable ?? "")"))
struct PostgresQueueBatchRulesTests {
    /// A fresh queue in a database of its own on the suite's server.
    private func freshQueue() throws -> PostgresTaskQueue {
        try PostgresTaskQueue(connection: freshDatabase())
    }

    /// A connection to a new, empty database on the suite's server.
    private func freshDatabase() throws -> PostgresConnection {
        let server = try #require(SharedPostgresServer.current)
        let name = "rules_\(UInt32.random(in: 0...UInt32.max))"
        try PostgresConnection(url: server.url).execute("CREATE DATABASE \(name)")
        return try PostgresConnection(url: "postgres://postgres@127.0.0.1:\(server.port)/\(name)")
    }

    private static func submission(_ id: String, expiryLimit: Int? = nil, stopsBatch: Bool = false) -> TaskSubmission {
        TaskSubmission(id: id, spec: #"{"command": "true"}"#, expiryLimit: expiryLimit, stopsBatch: stopsBatch)
    }

    @Test func aTaskWhoseLeaseRanOutMoreThanItsLimitFailsAndAReleaseDoesNotCount() throws {
        let queue = try freshQueue()
        try queue.submit(batch: "b1", tasks: [Self.submission("t1", expiryLimit: 1)])
        #expect(try queue.release(#require(try queue.claim(worker: "stopping-host", lease: 60))))
        _ = try #require(try queue.claim(worker: "dead-host-1", lease: 0))
        #expect(try queue.requeueExpired() == ["b1/t1"], "the first expiry is within the limit")
        _ = try #require(try queue.claim(worker: "dead-host-2", lease: 0))
        #expect(try queue.requeueExpired() == [], "the second expiry is one more than the limit")
        let row = try #require(try queue.rows(batch: "b1").first)
        #expect(row.state == .failed && row.attempts == 3)
        #expect(row.result?.contains("lease ran out 2 time(s)") == true, "\(row.result ?? "no result")")
        #expect(try queue.claim(worker: "live-host", lease: 60) == nil)
        #expect(try queue.journal(batch: "b1").map(\.event) == ["submit", "claim", "released", "claim", "expired", "claim", "expired", "failed"])
    }

    /// What a race leaves: a task given back (or re-queued) in the same moment as a stopping
    /// task's failure, each transaction blind to the other, stays queued beside the failed stopper.
    @Test func aTaskLeftQueuedBesideAFailedStopperIsNeverClaimedAndTheSweepSkipsIt() throws {
        let queue = try freshQueue()
        try queue.submit(batch: "b1", tasks: [Self.submission("bad", stopsBatch: true), Self.submission("raced")])
        try queue.submit(batch: "b2", tasks: [Self.submission("other")])
        try queue.connection.execute("UPDATE conductor.tasks SET state = 'failed', attempts = 1 WHERE batch = 'b1' AND id = 'bad'")
        #expect(try queue.claim(worker: "w0", lease: 60)?.task == "other", "a stopped batch's queued task was claimed")
        #expect(try queue.claim(worker: "w0", lease: 60, batch: "b1") == nil)
        #expect(try queue.skipQueuedTasksOfStoppedBatch("b1") == ["raced"])
        #expect(try queue.rows(batch: "b1").map(\.state) == [.failed, .skipped])
    }

    @Test func withoutALimitAnExpiredTaskAlwaysGoesBack() throws {
        let queue = try freshQueue()
        try queue.submit(batch: "b1", tasks: [(id: "t1", spec: #"{"command": "true"}"#)])
        for _ in 1...3 {
            _ = try #require(try queue.claim(worker: "dead-host", lease: 0))
            #expect(try queue.requeueExpired() == ["b1/t1"])
        }
    }

    @Test func aStoppingTasksFailureSkipsTheQueuedTasksOfItsBatchWhileRunningOnesFinish() throws {
        let queue = try freshQueue()
        try queue.submit(batch: "b1", tasks: [Self.submission("bad", stopsBatch: true), Self.submission("slow"),
                                              Self.submission("dying"), Self.submission("later")])
        try queue.submit(batch: "b2", tasks: [Self.submission("other")])
        let bad = try #require(try queue.claim(worker: "w0", lease: 60, batch: "b1"))
        let slow = try #require(try queue.claim(worker: "w1", lease: 60, batch: "b1"))
        _ = try #require(try queue.claim(worker: "w2", lease: 0, batch: "b1"))
        #expect(try queue.complete(bad, succeeded: false, result: #"{"error": "it broke"}"#))
        #expect(try queue.claim(worker: "w0", lease: 60, batch: "b1") == nil, "nothing of b1 starts after its stopping failure")
        #expect(try queue.requeueExpired() == [], "a claim of a stopped batch whose lease ran out is skipped, not queued")
        #expect(try queue.complete(slow, succeeded: true, result: "{}"), "a running task finishes")
        let states = Dictionary(uniqueKeysWithValues: try queue.rows(batch: "b1").map { ($0.task, $0) })
        #expect(states.mapValues(\.state) == ["bad": .failed, "slow": .done, "dying": .skipped, "later": .skipped])
        #expect(states["later"]?.result?.contains("task bad failed") == true, "\(states["later"]?.result ?? "no result")")
        #expect(try queue.rows(batch: "b2").map(\.state) == [.queued], "another batch goes on")
        let skips = try queue.journal(batch: "b1").filter { $0.event == "skipped" }.map(\.task)
        #expect(Set(skips) == ["dying", "later"] && skips.count == 2)
    }

    @Test func aFailureThatDoesNotStopTheBatchSkipsNothing() throws {
        let queue = try freshQueue()
        try queue.submit(batch: "b1", tasks: [Self.submission("bad"), Self.submission("later")])
        let bad = try #require(try queue.claim(worker: "w0", lease: 60))
        #expect(try queue.complete(bad, succeeded: false, result: "{}"))
        #expect(try queue.rows(batch: "b1").map(\.state) == [.failed, .queued])
    }

    @Test func resubmittingPutsFailedAndSkippedTasksBackWithTheirAttemptsButNotDoneOnes() throws {
        let queue = try freshQueue()
        try queue.submit(batch: "b1", tasks: [Self.submission("ok"), Self.submission("bad", expiryLimit: 0, stopsBatch: true), Self.submission("later")])
        let ok = try #require(try queue.claim(worker: "w0", lease: 60))
        #expect(try queue.complete(ok, succeeded: true, result: "{}"))
        _ = try #require(try queue.claim(worker: "w0", lease: 0))
        #expect(try queue.requeueExpired() == [])
        #expect(try queue.rows(batch: "b1").map(\.state) == [.done, .failed, .skipped], "a task that failed by its leases stops the batch too")

        let again = [Self.submission("ok"), Self.submission("bad", expiryLimit: 1), Self.submission("later")]
        #expect(try queue.resubmit(batch: "b1", tasks: again) == ["bad", "later"])
        let rows = try queue.rows(batch: "b1")
        #expect(rows.map(\.state) == [.done, .queued, .queued])
        #expect(rows.map(\.attempts) == [1, 1, 0], "attempts are kept")
        #expect(rows[1].result == nil)
        let retried = try #require(try queue.claim(worker: "w1", lease: 0, batch: "b1"))
        #expect(retried.task == "bad" && retried.attempt == 2)
        #expect(try queue.requeueExpired() == ["b1/bad"], "the new limit counts the expiries since the task was put back")
        #expect(try queue.journal(batch: "b1").filter { $0.event == "requeued" }.map(\.task) == ["bad", "later"])
        #expect(try queue.resubmit(batch: "b1", tasks: again) == [], "queued and done tasks are left as they are")
    }

    @Test func aVersion1DatabaseIsMigratedWithTheExpiriesItsJournalCounts() throws {
        let connection = try freshDatabase()
        try connection.execute("CREATE SCHEMA conductor")
        try connection.execute("CREATE TABLE conductor.schema_version (version int NOT NULL)")
        for statement in PostgresTaskQueue.version1 { try connection.execute(statement) }
        try connection.execute("INSERT INTO conductor.schema_version (version) VALUES (1)")
        try connection.execute(#"INSERT INTO conductor.tasks (batch, id, spec, attempts) VALUES ('old', 't1', '{"command": "true"}', 2)"#)
        try connection.execute("INSERT INTO conductor.journal (batch, task, event, attempt, worker) VALUES ('old', 't1', 'expired', 1, 'h')")

        let queue = try PostgresTaskQueue(connection: connection)
        #expect(try connection.execute("SELECT max(version) FROM conductor.schema_version") == [[String(PostgresTaskQueue.schemaVersion)]])
        #expect(try connection.execute("SELECT expiries, expiry_limit, stops_batch FROM conductor.tasks") == [["1", nil, "f"]])
        let claim = try #require(try queue.claim(worker: "w0", lease: 60))
        #expect(claim.task == "t1" && claim.attempt == 3)
        #expect(try queue.complete(claim, succeeded: true, result: "{}"))
    }

    @Test func aLargeSubmitLeavesStatisticsSoTheClaimDoesNotSortTheBatch() throws {
        let queue = try freshQueue()
        let count = 3000
        try queue.submit(batch: "big", tasks: (1...count).map { Self.submission("t\($0)") })
        // A claim of one batch's tasks: without statistics, the planner takes the batch for a few
        // rows and sorts all of its queued tasks at every claim.
        let plan = try queue.connection.execute("EXPLAIN " + PostgresTaskQueue.nextQueued, ["big"]).compactMap { $0.first ?? nil }
        #expect(!plan.contains { $0.contains("Sort") }, "\(plan.joined(separator: "\n"))")
        #expect(plan.contains { $0.contains("tasks_queued") }, "\(plan.joined(separator: "\n"))")
        // The workers' claim, of any batch, walks the same index in order.
        let anyBatch = try queue.connection.execute("EXPLAIN " + PostgresTaskQueue.nextQueued, [nil]).compactMap { $0.first ?? nil }
        #expect(!anyBatch.contains { $0.contains("Sort") } && anyBatch.contains { $0.contains("tasks_queued") }, "\(anyBatch.joined(separator: "\n"))")
        #expect(try queue.claim(worker: "w0", lease: 60, batch: "big")?.task == "t1")
    }
}
