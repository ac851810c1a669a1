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
}
