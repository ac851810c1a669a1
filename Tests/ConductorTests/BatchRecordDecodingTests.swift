import Conductor
import Queue
import Foundation
import Testing
import TestSupport

/// `batch.json` keeps the agent as a value under `agent`; a record written before that, with the
/// agent as `conductor worker` arguments under `agentArguments`, still reads.
@Suite(.timeLimit(.minutes(3))) struct BatchRecordDecodingTests {
    /// A record as earlier versions wrote it, its agent as worker arguments.
    static func oldRecord(directory: String, agentArguments: String) -> String {
        """
        {"agentArguments":\(agentArguments),"createdAt":"2026-11-25T18:56:34.666Z","directory":"\(directory)","name":"e1",\
        "repos":[{"base":"main","baseCommit":"caad6e7f02896cc9e47f2f904d018f08da63dafa","name":"repo","path":"/tmp/repo"}],\
        "sequential":false,"tasksFile":"/tmp/t6.json","workers":3,"worktrees":false}
        """
    }

    @Test func anOldRecordsAgentArgumentsBecomeItsAgent() throws {
        let store = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: store.appending("e1"), withIntermediateDirectories: true)
        try Self.oldRecord(directory: store.appending("e1"), agentArguments: #"["--agent","codex","--agent-arg=--model","--agent-arg","o3"]"#)
            .write(toFile: store.appending("e1/batch.json"), atomically: true, encoding: .utf8)

        let record = try BatchStore(path: store.path).load("e1")

        #expect(record.agent == AgentChoice(preset: "codex", extraArguments: ["--model", "o3"]))
        #expect(record.agent.label == "codex")
        #expect(record.workers == 3 && record.repos.map(\.name) == ["repo"])
    }

    @Test func anOldRecordWithNoAgentOptionsHasTheDefaultAgent() throws {
        let data = Data(Self.oldRecord(directory: "/tmp/e1", agentArguments: "[]").utf8)
        #expect(try QueueJSON.decoder.decode(BatchRecord.self, from: data).agent == AgentChoice())
    }

    @Test func aRecordIsWrittenWithItsAgentAsAValueAndReadsBackTheSame() throws {
        let old = try QueueJSON.decoder.decode(BatchRecord.self, from: Data(
            Self.oldRecord(directory: "/tmp/e1", agentArguments: #"["--agent-cmd","aider --yes {prompt}","--agent-arg=-v"]"#).utf8))
        var record = old
        record.setup = "make deps"
        record.session = true
        record.pooled = true
        record.repos[0].pool = ["p0", "p1", "p2"]

        let data = try QueueJSON.encoder.encode(record)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])

        #expect(object["agentArguments"] == nil)
        let agent = try #require(object["agent"] as? [String: Any])
        #expect(agent["template"] as? String == "aider --yes {prompt}")
        #expect(agent["extraArguments"] as? [String] == ["-v"])
        #expect(try QueueJSON.decoder.decode(BatchRecord.self, from: data) == record)
    }

    @Test func aRecordWithNoAgentAtAllNamesTheMissingField() throws {
        let data = Data(Self.oldRecord(directory: "/tmp/e1", agentArguments: "[]").replacingOccurrences(of: #""agentArguments":[],"#, with: "").utf8)
        let error = #expect(throws: DecodingError.self) { try QueueJSON.decoder.decode(BatchRecord.self, from: data) }
        #expect(error.map(QueueJSON.describe) == #"field "agent": missing"#)
    }
}
