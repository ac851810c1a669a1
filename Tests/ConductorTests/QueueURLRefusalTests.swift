import Foundation
import Testing
import TestSupport

/// The commands that work on a queue directory refuse a shared queue's address (`postgres://`,
/// `file:///`) with the commands that take one, instead of taking the address for a relative path
/// (which made a directory `postgres:`).
@Suite(.timeLimit(.minutes(3))) struct QueueURLRefusalTests {
    @Test(arguments: [["orchestrator", "1", "tasks.json"], ["reset"], ["mcp"]],
          ["postgres://u:secret@127.0.0.1:1/db", "file:///tmp/secret-queue"])
    func aCommandOnAQueueDirectoryRefusesASharedQueue(command: [String], address: String) throws {
        let scratch = TemporaryDirectory()
        try #"[{"id": "a", "command": "true"}]"#.write(toFile: scratch.appending("tasks.json"), atomically: true, encoding: .utf8)
        let result = try run([Binaries.conductor] + command + ["--queue", address], in: scratch.path,
                             environment: ["HOME": scratch.path], input: "", timeout: 60)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("a shared queue (postgres://… or file:///…) takes batches (conductor batch --worktrees --queue ADDRESS)"), "\(result.stderr)")
        #expect(address.hasPrefix("file:") || !result.stderr.contains("secret"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == ["tasks.json"])
    }

    /// `submit` takes a shared queue for a batch that runs on one, so it asks for the batch.
    @Test(arguments: ["postgres://u:secret@127.0.0.1:1/db", "file:///tmp/secret-queue"])
    func submitToASharedQueueNamesNoBatch(address: String) throws {
        let scratch = TemporaryDirectory()
        let result = try run([Binaries.conductor, "submit", "--command", "true", "--queue", address], in: scratch.path,
                             environment: ["HOME": scratch.path], input: "", timeout: 60)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("name the batch: -n NAME"), "\(result.stderr)")
        #expect(address.hasPrefix("file:") || !result.stderr.contains("secret"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty)
    }
}
