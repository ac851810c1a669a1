import Foundation
import Queue
import Testing
import TestSupport

/// What is the directory queue's own beside the rules every `TaskQueue` keeps
/// (`TaskQueueConformanceTests`): several processes claiming at once, files that `jq` reads,
/// a format version, names that must be file names.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct DirectoryTaskQueueTests {
    private static let spec = #"{"command": "true", "timeout": 30}"#

    private static func tasks(_ range: ClosedRange<Int>) -> [TaskSubmission] {
        range.map { TaskSubmission(id: "t\($0)", spec: spec) }
    }

    @Test func processesClaimingAtOnceTakeEveryTaskExactlyOnce() async throws {
        try await offThePool {
            let directory = TemporaryDirectory("task-queue")
            let path = directory.appending("queue")
            let queue = try DirectoryTaskQueue(directory: path)
            try queue.submit(batch: "b1", tasks: Self.tasks(1...150))
            try queue.submit(batch: "b2", tasks: Self.tasks(1...150))
            let claimer = Binaries.buildDirectory + "/task-queue-claimer"
            let processes = try (0..<3).map { try BackgroundProcess([claimer, path, "p\($0)"]) }
            var claimed: [String] = []
            for (worker, process) in processes.enumerated() {
                #expect(process.waitForExit(timeout: 240) == 0, "p\(worker): \(process.output)")
                claimed += process.output.split(separator: "\n").map(String.init)
            }
            print("directory queue: 300 tasks over 3 processes, taken " + processes.map { "\($0.output.split(separator: "\n").count)" }.joined(separator: "/"))
            #expect(claimed.count == 300)
            #expect(Set(claimed).count == 300, "a task was claimed twice")
            for batch in ["b1", "b2"] {
                let rows = try queue.rows(batch: batch)
                #expect(rows.count == 150 && rows.allSatisfy { $0.state == .done && $0.attempts == 1 })
                let events = try queue.journal(batch: batch)
                #expect(events.filter { $0.event == "claim" }.count == 150 && events.filter { $0.event == "done" }.count == 150)
            }
            let seqs = try String(contentsOfFile: path + "/journal.jsonl", encoding: .utf8).split(separator: "\n").map { line in
                try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["seq"] as? Int
            }
            #expect(seqs == Array(1...900), "one journal line per event, numbered in order")
        }
    }

    @Test func theFilesAreJSONThatJqReads() throws {
        let directory = TemporaryDirectory("task-queue")
        let path = directory.appending("queue")
        let queue = try DirectoryTaskQueue(directory: path)
        try queue.submit(batch: "b1", tasks: [TaskSubmission(id: "t1", spec: Self.spec, expiryLimit: 2, stopsBatch: true)])
        let claim = try #require(try queue.claim(worker: "w0", lease: 60, batch: nil))
        #expect(try queue.complete(claim, succeeded: true, result: #"{"exitCode": 0}"#))

        var info = stat()
        #expect(lstat(path, &info) == 0 && info.st_mode & 0o777 == 0o700)
        let format = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path + "/queue.json"))) as? NSDictionary)
        #expect(format == ["kind": "tasks", "version": 1])
        let batch = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path + "/batches/b1.json"))) as? [String: Any])
        let task = try #require((batch["tasks"] as? [[String: Any]])?.first)
        #expect(task["id"] as? String == "t1" && task["state"] as? String == "done" && task["claimedBy"] as? String == "w0")
        #expect(task["attempts"] as? Int == 1 && task["expiries"] as? Int == 0 && task["expiryLimit"] as? Int == 2 && task["stopsBatch"] as? Bool == true)
        #expect(task["token"] as? Int == Int(claim.token))
        #expect((task["spec"] as? NSDictionary) == ["command": "true", "timeout": 30], "the spec is embedded as JSON, not as a string")
        #expect((task["result"] as? NSDictionary) == ["exitCode": 0])
        let lines = try String(contentsOfFile: path + "/journal.jsonl", encoding: .utf8).split(separator: "\n")
        let last = try #require(try JSONSerialization.jsonObject(with: Data(lines[2].utf8)) as? [String: Any])
        #expect(last["seq"] as? Int == 3 && last["batch"] as? String == "b1" && last["task"] as? String == "t1")
        #expect(last["event"] as? String == "done" && last["attempt"] as? Int == 1 && last["worker"] as? String == "w0")
        #expect(last["at"] is String)
    }

    @Test func aQueueOfANewerFormatIsRefusedWithTheFix() throws {
        let directory = TemporaryDirectory("task-queue")
        let path = directory.appending("queue")
        _ = try DirectoryTaskQueue(directory: path)
        try Data(#"{"kind": "tasks", "version": 2}"#.utf8).write(to: URL(fileURLWithPath: path + "/queue.json"))
        let error = #expect(throws: TaskQueueError.newerFormat(directory: path, found: 2, known: 1)) { try DirectoryTaskQueue(directory: path) }
        #expect(error.map { "\($0)" }?.contains("\(path) is format version 2") == true && "\(error!)".contains("upgrade conductor"))
    }

    @Test func aDirectoryHoldingSomethingElseIsRefused() throws {
        let directory = TemporaryDirectory("task-queue")
        try Data("{}".utf8).write(to: URL(fileURLWithPath: directory.appending("tasks.json")))
        let error = #expect(throws: TaskQueueError.self) { try DirectoryTaskQueue(directory: directory.path) }
        #expect(error.map { "\($0)" }?.contains("is not a task queue: it has no queue.json but holds tasks.json") == true, "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: directory.appending("queue.json")))
    }

    /// A fresh repository holds nothing but `.git`: it is not taken for an empty directory.
    @Test func aRepositoryIsNotTakenForAnEmptyDirectory() throws {
        let directory = TemporaryDirectory("task-queue")
        try FileManager.default.createDirectory(atPath: directory.appending(".git"), withIntermediateDirectories: false)
        #expect(throws: TaskQueueError.self) { try DirectoryTaskQueue(directory: directory.path) }
        #expect(!FileManager.default.fileExists(atPath: directory.appending("queue.json")))
    }

    @Test(arguments: ["", ".hidden", "a/b", "../up"])
    func aNameThatCannotNameAFileIsRefused(_ name: String) throws {
        let directory = TemporaryDirectory("task-queue")
        let queue = try DirectoryTaskQueue(directory: directory.appending("queue"))
        #expect(throws: TaskQueueError.unusableName(kind: "batch", name: name)) { try queue.submit(batch: name, tasks: Self.tasks(1...1)) }
        #expect(throws: TaskQueueError.unusableName(kind: "batch", name: name)) { try queue.rows(batch: name) }
        #expect(throws: TaskQueueError.unusableName(kind: "worker", name: name)) { try queue.holdWorkerName(name, label: "w") }
        #expect("\(TaskQueueError.unusableName(kind: "batch", name: name))".contains("must not be empty, contain '/' or start with '.'"))
    }

    @Test func aSpecOrResultThatIsNotJSONIsNamed() throws {
        let directory = TemporaryDirectory("task-queue")
        let queue = try DirectoryTaskQueue(directory: directory.appending("queue"))
        let error = #expect(throws: TaskQueueError.self) { try queue.submit(batch: "b1", tasks: [TaskSubmission(id: "t1", spec: "{not json")]) }
        #expect(error.map { "\($0)" }?.hasPrefix("the spec of task 't1' of batch 'b1' is not JSON") == true, "\(String(describing: error))")
        try queue.submit(batch: "b1", tasks: Self.tasks(1...1))
        let claim = try #require(try queue.claim(worker: "w0", lease: 60, batch: nil))
        #expect(throws: TaskQueueError.self) { try queue.complete(claim, succeeded: true, result: "done") }
        #expect(try queue.rows(batch: "b1").map(\.state) == [.claimed], "a result that is not JSON records nothing")
    }

    /// Not a test of speed (nothing is asserted): what one claim and its completion cost with
    /// 1,000 tasks queued, printed for the README.
    @Test func theCostOfAClaimAndItsCompletionIsPrinted() throws {
        let directory = TemporaryDirectory("task-queue")
        let queue = try DirectoryTaskQueue(directory: directory.appending("queue"))
        try queue.submit(batch: "big", tasks: Self.tasks(1...1000))
        let start = Date()
        for _ in 1...20 {
            let claim = try #require(try queue.claim(worker: "w0", lease: 60, batch: nil))
            #expect(try queue.complete(claim, succeeded: true, result: "{}"))
        }
        print("directory queue: claim+complete \(Int(Date().timeIntervalSince(start) * 1000 / 20)) ms per task at 1,000 queued tasks")
    }
}
