import Conductor
import Foundation
import Testing
import TestSupport

/// The background-submission protocol, from the library: `Submission.startInBackground` writes the
/// tasks into `<queue>/submissions/` and starts the run detached; `BackgroundSubmission` finds a
/// submission by its id and reads its state from the files the run leaves there.
@Suite(.serialized, .timeLimit(.minutes(3))) struct BackgroundSubmissionTests {
    @Test func aStartedSubmissionIsFoundByItsIDAndEndsWithItsReport() throws {
        let fixture = try QueueFixture()
        try fixture.startWorker(0)
        let started = try Submission.startInBackground([.command("echo hi there", id: "hi")], on: fixture.root,
                                                       sequential: false, timeout: nil)
        #expect(started.taskIDs == ["hi"])
        #expect(started.resultsFile == "\(fixture.root.path)/submissions/\(started.id).json")
        let ticket = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(started)) as? [String: Any])
        #expect(ticket["submission"] as? String == started.id)
        #expect(ticket["results"] as? String == started.resultsFile)
        #expect(ticket["tasks"] as? [String] == ["hi"])

        let found = try #require(BackgroundSubmission(id: started.id, on: fixture.root))
        #expect(found.taskIDs == ["hi"] && found.resultsFile == started.resultsFile)
        var state = found.state()
        #expect(waitUntil {
            state = found.state()
            if case .finished = state { return true }
            return false
        }, "\(state)")
        guard case .finished(let report) = state else { return }
        #expect(report.results.map(\.task.id) == ["hi"])
        #expect(report.results.first?.result.status == .done)
        #expect(report.results.first?.result.output.contains("hi there") == true)
    }

    @Test func aSubmissionWithoutResultsYetIsRunning() throws {
        let directory = TemporaryDirectory()
        let queue = QueueRoot(path: directory.appending("queue"))
        try write(#"[{"id": "a", "command": "true"}, {"id": "b", "command": "true"}]"#, to: "\(BackgroundSubmission.folder(queue))/s1.tasks.json")
        let submission = try #require(BackgroundSubmission(id: "s1", on: queue))
        guard case .running(let tasks) = submission.state() else { Issue.record("\(submission.state())"); return }
        #expect(tasks == ["a", "b"])
        try write("", to: submission.resultsFile)
        guard case .running = submission.state() else { Issue.record("an empty results file is still running: \(submission.state())"); return }
    }

    @Test func aSubmissionThatCouldNotRunSaysWhy() throws {
        let directory = TemporaryDirectory()
        let queue = QueueRoot(path: directory.appending("queue"))
        try write(#"[{"id": "a", "command": "true"}]"#, to: "\(BackgroundSubmission.folder(queue))/s1.tasks.json")
        let submission = try #require(BackgroundSubmission(id: "s1", on: queue))
        try write(#"{"error": "no live worker on the queue"}"#, to: submission.resultsFile)
        guard case .failed(let message) = submission.state() else { Issue.record("\(submission.state())"); return }
        #expect(message == "no live worker on the queue")
        try write("{\"results\": [", to: submission.resultsFile)
        guard case .failed(let torn) = submission.state() else { Issue.record("\(submission.state())"); return }
        #expect(torn == "see \(submission.logFile)")
    }

    @Test func anIDThatNamesNoSubmissionFindsNone() throws {
        let directory = TemporaryDirectory()
        let queue = QueueRoot(path: directory.appending("queue"))
        try write("[]", to: "\(directory.path)/outside.tasks.json")
        #expect(BackgroundSubmission(id: "missing", on: queue) == nil)
        #expect(BackgroundSubmission(id: "../../outside", on: queue) == nil)
        #expect(BackgroundSubmission(id: "..", on: queue) == nil)
    }

    /// A long-lived starter (`conductor mcp`) is not left with a zombie per submission.
    @Test func theServerThatStartedASubmissionReapsIt() throws {
        let fixture = try QueueFixture()
        try fixture.startWorker(0)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: Binaries.conductor)
        server.arguments = ["mcp", "--queue", fixture.root.path]
        server.environment = ProcessInfo.processInfo.environment.merging(fixture.environment) { $1 }
        server.currentDirectoryURL = URL(fileURLWithPath: fixture.workDirectory)
        let input = Pipe()
        server.standardInput = input
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            try? input.fileHandleForWriting.close()
            server.waitUntilExit()
        }
        let requests = [
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
            #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"submit","arguments":{"tasks":[{"id":"a","command":"echo a"}]}}}"#,
        ]
        input.fileHandleForWriting.write(Data((requests.joined(separator: "\n") + "\n").utf8))
        let folder = BackgroundSubmission.folder(fixture.root)
        #expect(waitUntil {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            return files.contains { $0.hasSuffix(".json") && !$0.hasSuffix(".tasks.json") && !((try? Data(contentsOf: URL(fileURLWithPath: "\(folder)/\($0)")))?.isEmpty ?? true) }
        }, "the submission ran")
        #expect(waitUntil { children(of: server.processIdentifier).isEmpty }, "children left: \(children(of: server.processIdentifier))")
    }

    /// The processes whose parent is `pid`, with their state (`Z` for a zombie).
    private func children(of pid: Int32) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { Int32($0) != nil }.compactMap { entry -> String? in
            guard let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.range(of: ")", options: .backwards) else { return nil }
            let fields = stat[close.upperBound...].split(separator: " ")
            guard fields.count > 1, Int32(fields[1]) == pid else { return nil }
            return "\(entry) \(fields[0])"
        }
    }

    private func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
