import Foundation
import Queue
import Testing
import TestSupport

/// What a process killed in the middle of a change (or a full disk) can leave in a directory
/// queue, and what the next change makes of it.
@Suite(.timeLimit(.minutes(3)))
struct DirectoryTaskQueueCrashTests {
    /// A journal line cut short (the writer died mid-append) is dropped by the next change, not
    /// glued to its first line: every later read of the journal still works.
    @Test func aJournalLineCutShortIsDroppedByTheNextChange() throws {
        let directory = TemporaryDirectory("task-queue")
        let queue = try DirectoryTaskQueue(directory: directory.appending("queue"))
        try queue.submit(batch: "b1", tasks: [TaskSubmission(id: "t1", spec: #"{"command": "true"}"#)])
        let claim = try #require(try queue.claim(worker: "w0", lease: 60))
        #expect(try queue.complete(claim, succeeded: true, result: #"{"ok": true}"#))
        let journal = directory.appending("queue/journal.jsonl")
        let whole = try Data(contentsOf: URL(fileURLWithPath: journal))
        try whole.dropLast(20).write(to: URL(fileURLWithPath: journal))
        #expect(try queue.journal(batch: "b1").map(\.event) == ["submit", "claim"])

        try queue.submit(batch: "b1", tasks: [TaskSubmission(id: "t2", spec: #"{"command": "true"}"#)])
        #expect(try queue.journal(batch: "b1").map(\.event) == ["submit", "claim", "submit"])
        #expect(try queue.claimants(batch: "b1", task: "t1") == ["w0"])
        #expect(try queue.claim(worker: "w0", lease: 60)?.task == "t2")
    }

    /// A completion whose process was killed after it recorded the change in `step.json` (and
    /// perhaps appended the journal line) but before the batch file took its new version: the
    /// next change finishes it, journaling the line once, and the task is done.
    @Test(arguments: [true, false])
    func aChangeKilledHalfwayIsFinishedByTheNextOne(journalWritten: Bool) throws {
        let directory = TemporaryDirectory("task-queue")
        let path = directory.appending("queue")
        let queue = try DirectoryTaskQueue(directory: path)
        try queue.submit(batch: "b1", tasks: [TaskSubmission(id: "t1", spec: #"{"command": "true"}"#)])
        let claim = try #require(try queue.claim(worker: "w0", lease: 60))
        let batchFile = URL(fileURLWithPath: path + "/batches/b1.json")
        let journalFile = URL(fileURLWithPath: path + "/journal.jsonl")
        let claimed = try Data(contentsOf: batchFile)
        let journalBefore = try Data(contentsOf: journalFile)
        #expect(try queue.complete(claim, succeeded: true, result: #"{"ok": true}"#))
        let doneLine = try #require(String(decoding: Data(contentsOf: journalFile), as: UTF8.self).split(separator: "\n").last)
        let counters = try String(contentsOf: URL(fileURLWithPath: path + "/counters.json"), encoding: .utf8)

        // What the killed process left: the new batch file prepared, the record made, the old
        // batch file still in place, and the journal with or without its line.
        try Data(contentsOf: batchFile).write(to: URL(fileURLWithPath: path + "/batches/.b1.json.step"))
        try claimed.write(to: batchFile)
        if !journalWritten { try journalBefore.write(to: journalFile) }
        try Data(#"{"batches": ["b1"], "counters": \#(counters), "events": [\#(doneLine)], "wakesWorkers": false}"#.utf8)
            .write(to: URL(fileURLWithPath: path + "/step.json"))
        #expect(try queue.rows(batch: "b1").first?.state == .claimed, "the state the kill left")

        #expect(try queue.requeueExpired().isEmpty)
        #expect(try queue.rows(batch: "b1").map(\.state) == [.done])
        #expect(try queue.journal(batch: "b1").map(\.event) == ["submit", "claim", "done"])
        #expect(!FileManager.default.fileExists(atPath: path + "/step.json"))
        try queue.submit(batch: "b1", tasks: [TaskSubmission(id: "t2", spec: #"{"command": "true"}"#)])
        #expect(try queue.claim(worker: "w0", lease: 60)?.task == "t2")
    }

    /// A change whose record is written has happened, even when applying it then fails (here
    /// the journal cannot be opened; a full disk does the same): the claim is returned, since
    /// every later change finishes the record first; told it failed, its worker would never run
    /// a task that the queue holds as its claim until the lease ran out.
    @Test func aChangeRecordedButNotAppliedStillSucceedsAndIsFinishedNext() throws {
        let directory = TemporaryDirectory("task-queue")
        let path = directory.appending("queue")
        let queue = try DirectoryTaskQueue(directory: path)
        try queue.submit(batch: "b1", tasks: [TaskSubmission(id: "t1", spec: #"{"command": "true"}"#)])
        let journal = path + "/journal.jsonl"
        try FileManager.default.moveItem(atPath: journal, toPath: path + "/journal.saved")
        try FileManager.default.createDirectory(atPath: journal, withIntermediateDirectories: false)

        let claim = try #require(try queue.claim(worker: "w0", lease: 60), "the claim is made once its record is written")
        #expect(FileManager.default.fileExists(atPath: path + "/step.json"), "the record waits for the next change")
        #expect(throws: (any Error).self) { try queue.requeueExpired() }

        try FileManager.default.removeItem(atPath: journal)
        try FileManager.default.moveItem(atPath: path + "/journal.saved", toPath: journal)
        #expect(try queue.requeueExpired().isEmpty)
        #expect(try queue.rows(batch: "b1").map(\.state) == [.claimed])
        #expect(try queue.journal(batch: "b1").map(\.event) == ["submit", "claim"])
        #expect(try queue.complete(claim, succeeded: true, result: "{}"))
        #expect(try queue.rows(batch: "b1").map(\.state) == [.done])
    }

    /// A claimer killed (`kill -9`) at random moments, again and again: after each kill the next
    /// change finishes or forgets what the killed one was doing, so the journal and the rows
    /// agree. Every task's last event is its state, and a task done has exactly one `done`
    /// event: a change is never half written (the journal's lines without their rows, which
    /// another worker then did again, journaling a second `done`).
    @Test func aClaimerKilledMidChangeLeavesTheJournalAndTheRowsAgreeing() async throws {
        try await offThePool {
            let directory = TemporaryDirectory("task-queue")
            let path = directory.appending("queue")
            let queue = try DirectoryTaskQueue(directory: path)
            // A batch this large makes each change take milliseconds, most of it writing.
            try queue.submit(batch: "b1", tasks: (1...400).map { TaskSubmission(id: "t\($0)", spec: #"{"command": "true", "prompt": "\#(String(repeating: "x", count: 200))"}"#) })
            var random = SplitMix(state: UInt64(Date().timeIntervalSince1970 * 1000))
            let claimer = Binaries.buildDirectory + "/task-queue-claimer"
            var kills = 0
            for round in 0..<12 {
                let process = try BackgroundProcess([claimer, path, "k\(round)"])
                usleep(useconds_t(50_000 + random.next() % 250_000))
                process.signal(SIGKILL)
                #expect(process.waitForExit(timeout: 60) != nil)
                kills += 1
                _ = try queue.requeueExpired()
                let rows = try queue.rows(batch: "b1")
                let journal = try queue.journal(batch: "b1")
                var lastEvent: [String: String] = [:]
                var doneEvents: [String: Int] = [:]
                for event in journal {
                    lastEvent[event.task] = event.event
                    if event.event == "done" { doneEvents[event.task, default: 0] += 1 }
                }
                let stateOfEvent: [String: QueuedTask.State] = ["submit": .queued, "claim": .claimed, "done": .done]
                let disagreeing = rows.filter { stateOfEvent[lastEvent[$0.task] ?? ""] != $0.state }.map(\.task)
                let doneTwice = doneEvents.filter { $0.value > 1 }.map(\.key)
                let doneWithoutRow = rows.filter { $0.state != .done && doneEvents[$0.task] != nil }.map(\.task)
                #expect(disagreeing.isEmpty && doneTwice.isEmpty && doneWithoutRow.isEmpty,
                        "after kill \(kills): rows whose state is not their last event \(disagreeing.prefix(5)), done twice \(doneTwice.prefix(5)), done in the journal only \(doneWithoutRow.prefix(5))")
                if !disagreeing.isEmpty || !doneWithoutRow.isEmpty { break }
            }
            let done = try queue.rows(batch: "b1").filter { $0.state == .done }.count
            print("directory queue crash: claimers killed \(kills), tasks done \(done) of 400")
            #expect(done > 0, "the claimers did some work before they were killed")
        }
    }
}
