import Conductor
import Foundation
import Testing
import TestSupport

/// Where a run keeps its journal when no path is given: `<queue>/journal/<time>-<pid>.jsonl`, in
/// a folder only its owner can read.
@Suite(.serialized, .timeLimit(.minutes(3))) struct JournalPathTests {
    @Test func theDefaultPathIsUnderTheQueueNamedForTheTimeAndProcess() throws {
        let directory = TemporaryDirectory()
        let queue = QueueRoot(path: directory.appending("queue"))
        let path = try Journal.defaultPath(for: queue, at: Date(timeIntervalSince1970: 1_764_000_000))
        #expect(path == "\(queue.path)/journal/2025-11-24T160000Z-\(getpid()).jsonl")
        var info = stat()
        #expect(stat("\(queue.path)/journal", &info) == 0 && info.st_mode & S_IFMT == S_IFDIR, "the folder is made")
        #expect(info.st_mode & 0o777 == 0o700, "and private")
        #expect(!FileManager.default.fileExists(atPath: path), "the journal itself is opened by the run")
    }

    @Test func theOrchestratorCommandJournalsThereWithoutJournal() throws {
        let fixture = try QueueFixture()
        try fixture.startWorker(0)
        let file = try fixture.tasksFile(#"[{"id": "hello", "command": "echo hi"}]"#)
        let run = try fixture.conductor(["orchestrator", "1", file, "--queue", fixture.root.path])
        #expect(run.status == 0, "\(run.stderr)")
        let folder = "\(fixture.root.path)/journal"
        let journals = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(journals.count == 1 && journals[0].hasSuffix(".jsonl"), "\(journals)")
        let entries = try Journal.read("\(folder)/\(journals[0])")
        #expect(entries.contains { $0.event == .result && $0.task == "hello" }, "\(entries)")
    }
}
