import Foundation
import Testing
import TestSupport

/// The commands that work on a queue directory refuse a `postgres://` URL with the commands that
/// take one, instead of taking the URL for a relative path (which made a directory `postgres:`).
@Suite(.timeLimit(.minutes(3))) struct QueueURLRefusalTests {
    @Test(arguments: [["submit", "--command", "true"], ["orchestrator", "1", "tasks.json"], ["reset"], ["mcp"]])
    func aCommandOnAQueueDirectoryRefusesAPostgresURL(command: [String]) throws {
        let scratch = TemporaryDirectory()
        try #"[{"id": "a", "command": "true"}]"#.write(toFile: scratch.appending("tasks.json"), atomically: true, encoding: .utf8)
        let result = try run([Binaries.conductor] + command + ["--queue", "postgres://u:secret@127.0.0.1:1/db"], in: scratch.path,
                             environment: ["HOME": scratch.path], input: "", timeout: 60)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("a postgres:// queue takes batches (conductor batch --worktrees --queue URL)"), "\(result.stderr)")
        #expect(!result.stderr.contains("secret"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == ["tasks.json"])
    }
}
