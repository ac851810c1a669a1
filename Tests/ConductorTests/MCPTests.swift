import Conductor
import Foundation
import Testing
import TestSupport

/// `conductor mcp` driven by a client nobody here wrote: the official MCP Python SDK
/// (fixtures/mcp-client.py) starts it as a subprocess over stdio, as Claude Code would, against a
/// launched session's running workers.
@Suite(.serialized, .timeLimit(.minutes(5))) struct MCPTests {
    @Test func thePythonClientHandsOutWorkAndReadsResultsThroughTheTools() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let environment = fixture.tmuxEnvironment
        defer { _ = try? run(["tmux", "kill-server"], environment: environment) }
        let conductor = { (arguments: [String]) in try run([Binaries.conductor] + arguments, in: app, environment: environment) }
        try fixture.launchSession("s1", workers: 2, in: app)

        let client = try run(["python3", Binaries.fixtures + "/mcp-client.py", Binaries.conductor, "mcp", "-n", "s1", "-d", fixture.store],
                             in: app, environment: environment, timeout: 180)
        #expect(client.status == 0, "stdout:\n\(client.stdout)\nstderr:\n\(client.stderr)")
        #expect(client.stdout.hasSuffix("ok\n"), "\(client.stdout)")
        #expect(try conductor(["stop", "-n", "s1", "-d", fixture.store]).status == 0)
    }

    @Test func onABareQueueSubmitWorksAndReportSaysItNeedsASession() throws {
        let fixture = try QueueFixture()
        try fixture.startWorker(0)
        let client = try run(["python3", Binaries.fixtures + "/mcp-client.py", "--bare", Binaries.conductor, "mcp", "--queue", fixture.root.path],
                             in: fixture.workDirectory, environment: fixture.environment, timeout: 120)
        #expect(client.status == 0, "stdout:\n\(client.stdout)\nstderr:\n\(client.stderr)")
        #expect(client.stdout.hasSuffix("ok\n"), "\(client.stdout)")
    }

    /// A client that writes its requests and closes its end (a script) still gets every answer:
    /// at the end of input only a waiting `submit` is cancelled.
    @Test func callsMadeJustBeforeTheInputEndsAreAnswered() throws {
        let fixture = try QueueFixture()
        try fixture.startWorker(0)
        let requests = [
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
            #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"status","arguments":{}}}"#,
        ]
        let server = try run([Binaries.conductor, "mcp", "--queue", fixture.root.path], in: fixture.workDirectory, environment: fixture.environment,
                             input: requests.joined(separator: "\n") + "\n", timeout: 60)
        #expect(server.status == 0, "\(server.stderr)")
        let replies = server.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(replies.contains { $0["id"] as? Int == 2 && $0["result"] != nil }, "the status call is answered: \(server.stdout)")
    }

    @Test func launchWritesTheSessionsMCPConfigAndShowsHowToStartClaudeWithIt() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let environment = fixture.tmuxEnvironment
        defer { _ = try? run(["tmux", "kill-server"], environment: environment) }
        let launch = try run([Binaries.conductor, "launch", "-w", "1", "-n", "s2", "-d", fixture.store, "--no-attach"], in: app, environment: environment)
        #expect(launch.status == 0, "\(launch.stderr)")
        let file = "\(fixture.store)/s2/mcp.json"
        let config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any])
        let server = try #require((config["mcpServers"] as? [String: Any])?["conductor"] as? [String: Any], "\(config)")
        #expect(server["command"] as? String == Binaries.conductor)
        #expect(server["args"] as? [String] == ["mcp", "-n", "s2", "-d", fixture.store])
        #expect(launch.stdout.contains("claude --mcp-config \(file)"), "\(launch.stdout)")
        let untracked = try fixture.git(app, ["status", "--porcelain", "--untracked-files=all"])
        #expect(untracked.isEmpty, "nothing is written into the repository: \(untracked)")
        #expect(try run([Binaries.conductor, "stop", "-n", "s2", "-d", fixture.store], environment: environment).status == 0)
    }
}
