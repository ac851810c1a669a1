import Foundation
import Postgres
import PostgresQueue
import Queue
import Testing
import TestSupport

/// What remote workers need of the queue besides claims: giving a claim back, knowing who
/// claimed a task before, and holding a worker name while alive.
@Suite(.serialized, .timeLimit(.minutes(3)), .disabled(if: PostgresServer.unavailable != nil, "\(PostgresServer.unavailable ?? "")"))
struct PostgresQueueReleaseTests {
    @Test func aReleasedClaimGoesBackAndItsNextClaimCountsOneAttemptMore() throws {
        let server = try PostgresServer()
        let queue = try PostgresTaskQueue(connection: PostgresConnection(url: server.url))
        try queue.submit(batch: "b1", tasks: [("t1", #"{"command": "true"}"#)])
        let first = try #require(try queue.claim(worker: "hostA-0", lease: 60))
        #expect(try queue.release(first))
        #expect(try queue.release(first) == false, "a claim is given back once")
        let second = try #require(try queue.claim(worker: "hostB-0", lease: 60))
        #expect(second.attempt == 2)
        #expect(try queue.complete(first, succeeded: true, result: "{}") == false, "a released claim records nothing")
        // A claim given back was over before its worker let go of it (no late push can come of
        // it), so its worker is not a claimant to fence.
        #expect(try queue.claimants(batch: "b1", task: "t1") == ["hostB-0"])
        #expect(try queue.journal(batch: "b1").map(\.event) == ["submit", "claim", "released", "claim"])
    }

    @Test func aWorkerNameIsHeldByOneLiveConnection() throws {
        let server = try PostgresServer()
        var holder: PostgresTaskQueue? = try PostgresTaskQueue(connection: PostgresConnection(url: server.url))
        try holder?.holdWorkerName("hostA-0", label: "conductor worker hostA-0 on test")
        let other = try PostgresTaskQueue(connection: PostgresConnection(url: server.url))
        #expect(throws: TaskQueueError.workerNameTaken("hostA-0", holder: nil)) {
            do { try other.holdWorkerName("hostA-0", label: "second") } catch TaskQueueError.workerNameTaken(let name, _) {
                throw TaskQueueError.workerNameTaken(name, holder: nil)
            }
        }
        try other.holdWorkerName("hostB-0", label: "another name")
        holder = nil
        #expect(waitUntil(timeout: 30) { (try? other.holdWorkerName("hostA-0", label: "after")) != nil }, "the name is free once its connection ends")
    }
}
