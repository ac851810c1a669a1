import Foundation
import Queue
import Synchronization
import Testing
import TestSupport

/// The rules of `TaskQueue`, checked on every backend (`TaskQueueBackend`): claims are exclusive
/// leases taken oldest first, a lost lease sends the task back with one attempt more (or fails it
/// past its limit) and its stale worker is refused, a stopping failure skips its batch's queued
/// tasks, `resubmit` puts failed and skipped tasks back, every change is journaled, a worker name
/// has one live holder, and a waiting worker wakes when work comes.
@Suite(.serialized, .timeLimit(.minutes(5)), .sharedPostgresServer)
struct TaskQueueConformanceTests {
    private static let spec = #"{"command": "true", "timeout": 30}"#

    private static func submission(_ id: String, expiryLimit: Int? = nil, stopsBatch: Bool = false) -> TaskSubmission {
        TaskSubmission(id: id, spec: spec, expiryLimit: expiryLimit, stopsBatch: stopsBatch)
    }

    private static func tasks(_ count: Int) -> [TaskSubmission] {
        (1...count).map { submission("t\($0)") }
    }

    /// `text` parsed, to compare JSON whatever its spacing and key order.
    private static func json(_ text: String?) throws -> NSDictionary? {
        try text.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? NSDictionary } ?? nil
    }

    /// A fresh queue whose batch `b1` holds task `t1`.
    private static func queueWithOneTask(_ backend: TaskQueueBackend) throws -> QueueUnderTest {
        let fixture = try backend.freshQueue()
        try fixture.queue.submit(batch: "b1", tasks: tasks(1))
        return fixture
    }

    @Test(arguments: TaskQueueBackend.available)
    func concurrentClaimersTakeEveryTaskExactlyOnce(_ backend: TaskQueueBackend) async throws {
        try await offThePool {
            let fixture = try backend.freshQueue()
            try fixture.queue.submit(batch: "b1", tasks: Self.tasks(200))
            let claimed = LockedList()
            let failures = LockedList()
            DispatchQueue.concurrentPerform(iterations: 8) { worker in
                do {
                    let mine = try fixture.open()
                    while let claim = try mine.claim(worker: "w\(worker)", lease: 60, batch: nil) {
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
            let rows = try fixture.queue.rows(batch: "b1")
            #expect(rows.count == 200 && rows.allSatisfy { $0.state == .done && $0.attempts == 1 })
            let events = try fixture.queue.journal(batch: "b1")
            #expect(events.filter { $0.event == "claim" }.count == 200)
            #expect(events.filter { $0.event == "done" }.count == 200)
        }
    }

    @Test(arguments: TaskQueueBackend.available)
    func claimsTakeTheOldestQueuedTaskOfAnyBatchOrOfTheOneNamed(_ backend: TaskQueueBackend) throws {
        let fixture = try backend.freshQueue()
        let queue = fixture.queue
        try queue.submit(batch: "b2", tasks: [Self.submission("t10"), Self.submission("t2")])
        try queue.submit(batch: "b1", tasks: [Self.submission("a")])
        let first = try #require(try queue.claim(worker: "w0", lease: 60, batch: nil))
        #expect(first.batch == "b2" && first.task == "t10", "the first submitted, not the first by id")
        #expect(first.attempt == 1)
        #expect(try Self.json(first.spec) == Self.json(Self.spec), "\(first.spec)")
        let named = try #require(try queue.claim(worker: "w0", lease: 60, batch: "b1"))
        #expect(named.batch == "b1" && named.task == "a")
        let last = try #require(try queue.claim(worker: "w0", lease: 60, batch: nil))
        #expect(last.batch == "b2" && last.task == "t2")
        #expect(try queue.claim(worker: "w0", lease: 60, batch: nil) == nil)
        #expect(try queue.claim(worker: "w0", lease: 60, batch: "no-such-batch") == nil)
        #expect(first.token < named.token && named.token < last.token, "each claim's token is larger than any before it")
        let rows = try queue.rows(batch: "b2")
        #expect(rows.map(\.task) == ["t10", "t2"] && rows.allSatisfy { $0.state == .claimed && $0.claimedBy == "w0" })
    }

    @Test(arguments: TaskQueueBackend.available)
    func aSubmitIsAllOrNone(_ backend: TaskQueueBackend) throws {
        let fixture = try backend.freshQueue()
        let queue = fixture.queue
        try queue.submit(batch: "b1", tasks: [Self.submission("t1")])
        #expect(throws: (any Error).self) { try queue.submit(batch: "b1", tasks: [Self.submission("t2"), Self.submission("t1")]) }
        #expect(throws: (any Error).self) { try queue.submit(batch: "b1", tasks: [TaskSubmission(id: "t3", spec: "{not json")]) }
        #expect(try queue.rows(batch: "b1").map(\.task) == ["t1"])
        #expect(try queue.journal(batch: "b1").map(\.event) == ["submit"])
    }

    @Test(arguments: TaskQueueBackend.available)
    func anExpiredLeaseGoesBackWithOneAttemptMoreAndTheStaleWorkerIsRefused(_ backend: TaskQueueBackend) throws {
        let fixture = try Self.queueWithOneTask(backend)
        let queue = fixture.queue
        // A lease of no time: as if the host had stopped past its lease.
        let stale = try #require(try queue.claim(worker: "stopped-host", lease: 0, batch: nil))
        #expect(stale.attempt == 1)
        #expect(try queue.claim(worker: "other", lease: 60, batch: nil) == nil, "a claimed task is not claimed again before it is put back")
        #expect(try queue.heartbeat(stale, lease: 60) == false, "an expired lease cannot be renewed")
        #expect(try queue.requeueExpired() == ["b1/t1"])
        let fresh = try #require(try queue.claim(worker: "live-host", lease: 60, batch: nil))
        #expect(fresh.attempt == 2 && fresh.token > stale.token)
        #expect(try queue.complete(stale, succeeded: true, result: #"{"from": "stale"}"#) == false)
        #expect(try queue.release(stale) == false, "a stale claim is not given back either")
        #expect(try queue.heartbeat(fresh, lease: 60))
        #expect(try queue.complete(fresh, succeeded: true, result: #"{"from": "fresh"}"#))
        #expect(try queue.complete(fresh, succeeded: true, result: #"{"from": "again"}"#) == false, "a task is recorded once")
        #expect(try queue.heartbeat(fresh, lease: 60) == false, "a finished task has no lease")
        let row = try #require(try queue.rows(batch: "b1").first)
        #expect(row.state == .done && row.attempts == 2 && row.claimedBy == "live-host")
        #expect(try Self.json(row.result) == ["from": "fresh"], "\(row.result ?? "no result")")
        #expect(try queue.journal(batch: "b1") == [
            QueueEvent(task: "t1", event: "submit", attempt: 0, worker: nil),
            QueueEvent(task: "t1", event: "claim", attempt: 1, worker: "stopped-host"),
            QueueEvent(task: "t1", event: "expired", attempt: 1, worker: "stopped-host"),
            QueueEvent(task: "t1", event: "claim", attempt: 2, worker: "live-host"),
            QueueEvent(task: "t1", event: "done", attempt: 2, worker: "live-host"),
        ])
        #expect(try queue.requeueExpired() == [], "nothing else ran out")
    }

    @Test(arguments: TaskQueueBackend.available)
    func aTaskWhoseLeaseRanOutMoreThanItsLimitFailsAndAReleaseDoesNotCount(_ backend: TaskQueueBackend) throws {
        let fixture = try backend.freshQueue()
        let queue = fixture.queue
        try queue.submit(batch: "b1", tasks: [Self.submission("t1", expiryLimit: 1)])
        #expect(try queue.release(#require(try queue.claim(worker: "stopping-host", lease: 60, batch: nil))))
        _ = try #require(try queue.claim(worker: "dead-host-1", lease: 0, batch: nil))
        #expect(try queue.requeueExpired() == ["b1/t1"], "the first expiry is within the limit")
        _ = try #require(try queue.claim(worker: "dead-host-2", lease: 0, batch: nil))
        #expect(try queue.requeueExpired() == [], "the second expiry is one more than the limit")
        let row = try #require(try queue.rows(batch: "b1").first)
        #expect(row.state == .failed && row.attempts == 3)
        let error = try #require(try Self.json(row.result)?["error"] as? String)
        #expect(error == "its lease ran out 2 time(s) (each time its worker's host died, was stopped or cut off), more than the 1 allowed (--retries); not queued again")
        #expect(try queue.claim(worker: "live-host", lease: 60, batch: nil) == nil)
        #expect(try queue.journal(batch: "b1").map(\.event) == ["submit", "claim", "released", "claim", "expired", "claim", "expired", "failed"])
    }

    @Test(arguments: TaskQueueBackend.available)
    func withoutALimitAnExpiredTaskAlwaysGoesBack(_ backend: TaskQueueBackend) throws {
        let fixture = try Self.queueWithOneTask(backend)
        let queue = fixture.queue
        for attempt in 1...3 {
            #expect(try queue.claim(worker: "dead-host", lease: 0, batch: nil)?.attempt == attempt)
            #expect(try queue.requeueExpired() == ["b1/t1"])
        }
    }

    @Test(arguments: TaskQueueBackend.available)
    func aStoppingTasksFailureSkipsTheQueuedTasksOfItsBatchWhileRunningOnesFinish(_ backend: TaskQueueBackend) throws {
        let fixture = try backend.freshQueue()
        let queue = fixture.queue
        try queue.submit(batch: "b1", tasks: [Self.submission("bad", stopsBatch: true), Self.submission("slow"),
                                              Self.submission("dying"), Self.submission("released"), Self.submission("later")])
        try queue.submit(batch: "b2", tasks: [Self.submission("other")])
        let bad = try #require(try queue.claim(worker: "w0", lease: 60, batch: "b1"))
        let slow = try #require(try queue.claim(worker: "w1", lease: 60, batch: "b1"))
        _ = try #require(try queue.claim(worker: "w2", lease: 0, batch: "b1"))
        let released = try #require(try queue.claim(worker: "w3", lease: 60, batch: "b1"))
        #expect(try queue.complete(bad, succeeded: false, result: #"{"error": "it broke"}"#))
        #expect(try queue.claim(worker: "w0", lease: 60, batch: "b1") == nil, "nothing of b1 starts after its stopping failure")
        #expect(try queue.requeueExpired() == [], "a claim of a stopped batch whose lease ran out is skipped, not queued")
        #expect(try queue.release(released), "a claim given back in a stopped batch is skipped")
        #expect(try queue.complete(slow, succeeded: true, result: "{}"), "a running task finishes")
        let states = Dictionary(uniqueKeysWithValues: try queue.rows(batch: "b1").map { ($0.task, $0) })
        #expect(states.mapValues(\.state) == ["bad": .failed, "slow": .done, "dying": .skipped, "released": .skipped, "later": .skipped])
        let reason = try #require(try Self.json(states["later"]?.result)?["error"] as? String)
        #expect(reason == "skipped: task bad failed and stops dispatch (stopOnError)")
        #expect(try queue.claim(worker: "w0", lease: 60, batch: nil)?.task == "other", "a claim of any batch passes over the stopped one")
        #expect(try queue.skipQueuedTasksOfStoppedBatch("b1") == [], "every step skipped what it left queued")
        #expect(try queue.skipQueuedTasksOfStoppedBatch("b2") == [], "a batch that is not stopped skips nothing")
        let skips = try queue.journal(batch: "b1").filter { $0.event == "skipped" }
        #expect(skips.map(\.task) == ["later", "dying", "released"], "\(skips)")
        #expect(skips.allSatisfy { $0.worker == nil })
    }

    @Test(arguments: TaskQueueBackend.available)
    func aFailureThatDoesNotStopTheBatchSkipsNothing(_ backend: TaskQueueBackend) throws {
        let fixture = try backend.freshQueue()
        let queue = fixture.queue
        try queue.submit(batch: "b1", tasks: [Self.submission("bad"), Self.submission("later")])
        let bad = try #require(try queue.claim(worker: "w0", lease: 60, batch: nil))
        #expect(try queue.complete(bad, succeeded: false, result: "{}"))
        #expect(try queue.rows(batch: "b1").map(\.state) == [.failed, .queued])
        #expect(try queue.claim(worker: "w0", lease: 60, batch: nil)?.task == "later")
    }

    @Test(arguments: TaskQueueBackend.available)
    func resubmittingPutsFailedAndSkippedTasksBackWithTheirAttemptsButNotOthers(_ backend: TaskQueueBackend) throws {
        let fixture = try backend.freshQueue()
        let queue = fixture.queue
        try queue.submit(batch: "b1", tasks: [Self.submission("ok"), Self.submission("bad", expiryLimit: 0, stopsBatch: true), Self.submission("later")])
        let ok = try #require(try queue.claim(worker: "w0", lease: 60, batch: nil))
        #expect(try queue.complete(ok, succeeded: true, result: "{}"))
        _ = try #require(try queue.claim(worker: "w0", lease: 0, batch: nil))
        #expect(try queue.requeueExpired() == [])
        #expect(try queue.rows(batch: "b1").map(\.state) == [.done, .failed, .skipped], "a task that failed by its leases stops the batch too")

        let again = [Self.submission("ok"), TaskSubmission(id: "bad", spec: #"{"command": "false"}"#, expiryLimit: 1), Self.submission("later"),
                     Self.submission("unknown")]
        #expect(try queue.resubmit(batch: "b1", tasks: again) == ["bad", "later"])
        let rows = try queue.rows(batch: "b1")
        #expect(rows.map(\.state) == [.done, .queued, .queued])
        #expect(rows.map(\.attempts) == [1, 1, 0], "attempts are kept")
        #expect(rows[1].result == nil)
        let retried = try #require(try queue.claim(worker: "w1", lease: 0, batch: "b1"))
        #expect(retried.task == "bad" && retried.attempt == 2)
        #expect(try Self.json(retried.spec) == ["command": "false"], "the spec as given now")
        #expect(try queue.requeueExpired() == ["b1/bad"], "the new limit counts the expiries since the task was put back")
        #expect(try queue.journal(batch: "b1").filter { $0.event == "requeued" } == [
            QueueEvent(task: "bad", event: "requeued", attempt: 1, worker: nil), QueueEvent(task: "later", event: "requeued", attempt: 0, worker: nil),
        ])
        #expect(try queue.resubmit(batch: "b1", tasks: again) == [], "queued and done tasks are left as they are")
        #expect(try queue.resubmit(batch: "no-such-batch", tasks: again) == [])
    }

    @Test(arguments: TaskQueueBackend.available)
    func aReleasedClaimGoesBackAndItsWorkerIsNoClaimant(_ backend: TaskQueueBackend) throws {
        let fixture = try Self.queueWithOneTask(backend)
        let queue = fixture.queue
        let first = try #require(try queue.claim(worker: "hostA-0", lease: 60, batch: nil))
        #expect(try queue.release(first))
        #expect(try queue.release(first) == false, "a claim is given back once")
        #expect(try queue.requeueExpired() == [], "a released claim is no expiry")
        let second = try #require(try queue.claim(worker: "hostB-0", lease: 0, batch: nil))
        #expect(second.attempt == 2)
        #expect(try queue.complete(first, succeeded: true, result: "{}") == false, "a released claim records nothing")
        #expect(try queue.requeueExpired() == ["b1/t1"])
        let third = try #require(try queue.claim(worker: "hostC-0", lease: 60, batch: nil))
        #expect(try queue.complete(third, succeeded: true, result: "{}"))
        // A claim given back was over before its worker let go of it (no late push can come of
        // it), so its worker is not a claimant to fence; one whose lease ran out is.
        #expect(try queue.claimants(batch: "b1", task: "t1") == ["hostB-0", "hostC-0"])
        #expect(try queue.journal(batch: "b1").map(\.event) == ["submit", "claim", "released", "claim", "expired", "claim", "done"])
        #expect(try queue.journal(batch: "b1")[2] == QueueEvent(task: "t1", event: "released", attempt: 1, worker: "hostA-0"))
    }

    @Test(arguments: TaskQueueBackend.available)
    func aWorkerNameIsHeldByOneLiveQueueObject(_ backend: TaskQueueBackend) async throws {
        try await offThePool {
            let fixture = try backend.freshQueue()
            var holder: TaskQueue? = try fixture.open()
            try holder?.holdWorkerName("hostA-0", label: "conductor worker hostA-0 on test")
            let other = try fixture.open()
            do {
                try other.holdWorkerName("hostA-0", label: "second")
                Issue.record("a second worker took a name held by a live one")
            } catch TaskQueueError.workerNameTaken(let name, let label) {
                #expect(name == "hostA-0")
                #expect(label?.contains("conductor worker hostA-0 on test") == true, "\(label ?? "no label")")
            }
            try other.holdWorkerName("hostB-0", label: "another name")
            holder = nil
            #expect(waitUntil(timeout: 30) { (try? other.holdWorkerName("hostA-0", label: "after")) != nil }, "the name is free once its holder is gone")
        }
    }

    @Test(arguments: TaskQueueBackend.available)
    func aWaitingWorkerWakesWhenTasksAreSubmittedOrPutBack(_ backend: TaskQueueBackend) async throws {
        try await offThePool {
            let fixture = try backend.freshQueue()
            let waiter = try fixture.open()
            try waiter.listenForWork()
            #expect(try waiter.waitForWork(timeout: 0.2) == false, "nothing came yet")
            let open = fixture.open
            let submitted = DispatchSemaphore(value: 0)
            let failure = Mutex<String?>(nil)
            Thread.detachNewThread {
                defer { submitted.signal() }
                do {
                    usleep(200_000)
                    try open().submit(batch: "b1", tasks: [Self.submission("t1")])
                } catch {
                    failure.withLock { $0 = "\(error)" }
                }
            }
            let woken = try waiter.waitForWork(timeout: 60)
            submitted.wait()
            #expect(failure.withLock { $0 } == nil, "\(failure.withLock { $0 } ?? "")")
            #expect(woken)
            #expect(try waiter.waitForWork(timeout: 0.2) == false, "the news was taken by the first wait")

            let other = try fixture.open()
            let claim = try #require(try other.claim(worker: "w1", lease: 60, batch: nil))
            #expect(try waiter.waitForWork(timeout: 0.2) == false, "a claim is no news")
            #expect(try other.release(claim))
            #expect(try waiter.waitForWork(timeout: 60), "a task given back is")
            _ = try #require(try other.claim(worker: "w1", lease: 0, batch: nil))
            #expect(try other.requeueExpired() == ["b1/t1"])
            #expect(try waiter.waitForWork(timeout: 60), "so is one whose lease ran out")
        }
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
