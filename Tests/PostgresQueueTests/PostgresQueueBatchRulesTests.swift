import Foundation
import Postgres
@testable import PostgresQueue
import Queue
import Testing
import TestSupport

/// The batch rules as PostgreSQL keeps them, beyond what every `TaskQueue` keeps
/// (`TaskQueueConformanceTests`): the sweep of a task a race left queued beside a failed stopper,
/// the migration of a version-1 database, and statistics after a large submit, so that a claim
/// does not sort the batch.
@Suite(.serialized, .timeLimit(.minutes(3)), .sharedPostgresServer,
       .disabled(if: PostgresServer.unavailable != nil, "\(PostgresServer.unavailable ?? "")"))
struct PostgresQueueBatchRulesTests {
    /// A fresh queue in a database of its own on the suite's server.
    private func freshQueue() throws -> PostgresTaskQueue {
        try PostgresTaskQueue(connection: freshDatabase())
    }

    /// A connection to a new, empty database on the suite's server.
    private func freshDatabase() throws -> PostgresConnection {
        try PostgresConnection(url: SharedPostgresServer.freshDatabase(prefix: "rules"))
    }

    private static func submission(_ id: String, stopsBatch: Bool = false) -> TaskSubmission {
        TaskSubmission(id: id, spec: #"{"command": "true"}"#, stopsBatch: stopsBatch)
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
