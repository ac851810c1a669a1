import Conductor
import Foundation
import Testing
import TestSupport

/// Only an agent that itself reports a rate or usage limit has its task retried as rate-limited;
/// text that merely mentions "429" or "rate limit" is not a rate limit.
@Suite(.timeLimit(.minutes(3))) struct RateLimitTests {
    @Test(arguments: [
        (#"{"type":"result","subtype":"success","is_error":true,"result":"API Error: Rate limit reached"}"#, true),
        (#"{"type":"result","subtype":"success","is_error":true,"result":"Claude AI usage limit reached|1764072000"}"#, true),
        (#"{"type":"result","subtype":"success","is_error":true,"result":"You've hit your limit · resets 1pm (Europe/Paris)"}"#, true),
        (#"{"type":"result","subtype":"error_during_execution","is_error":true,"result":"API Error: 529 Overloaded"}"#, true),
        (#"{"type":"result","subtype":"error_during_execution","is_error":true,"result":"1429 tests passed, 1 failed"}"#, false),
        (#"{"type":"result","subtype":"success","is_error":false,"result":"fixed the rate limit bug"}"#, false),
        (#"{"type":"result","subtype":"error_during_execution","is_error":true,"result":"HTTP 429 while testing the rate_limit module"}"#, false),
        (#"{"type":"result","subtype":"error_during_execution","is_error":true,"result":"the overloaded() helper failed"}"#, false),
        (#"{"type":"result","subtype":"error_during_execution","is_error":true,"result":"API Error: 429 rate_limit_error: Number of request tokens has exceeded your per-minute rate limit"}"#, true),
    ])
    func claudesOwnLimitReportsAreRecognised(json: String, limited: Bool) throws {
        let parsed = try #require(AgentOutput.read(Data(json.utf8), stderr: "", exitStatus: 0, format: .claudeJSON))
        #expect((parsed.report.rateLimited ?? false) == limited)
    }

    @Test func aFailedCommandMentioning429IsNotRetried() throws {
        let fixture = try QueueFixture()
        try fixture.startWorker(0)
        let file = try fixture.tasksFile(#"""
        [{"id": "tests", "command": "echo $CONDUCTOR_ATTEMPT >> attempts; echo '1429 tests passed, 1 failed'; echo 'rate limit overloaded 429' >&2; exit 1"}]
        """#)
        let run = try fixture.conductor(["orchestrator", "1", file, "--queue", fixture.root.path, "--json", "--retries", "2", "--backoff", "0.1"])
        #expect(run.status == 1)
        let report = try QueueFixture.report(run.stdout)
        #expect(report.results.first?.result.status == .error)
        #expect(report.results.first?.result.attempts == 1)
        #expect(try String(contentsOfFile: fixture.workDirectory + "/attempts", encoding: .utf8) == "1\n")
    }

    @Test func anAgentErrorThatMerelyMentions429IsNotRetried() throws {
        let fixture = try QueueFixture()
        try fixture.startWorker(0)
        let file = try fixture.tasksFile(#"[{"id": "agent", "prompt": "[[fail 1429 tests passed, 1 failed]]"}]"#)
        let run = try fixture.conductor(["orchestrator", "1", file, "--queue", fixture.root.path, "--json", "--retries", "2", "--backoff", "0.1"])
        #expect(run.status == 1)
        let report = try QueueFixture.report(run.stdout)
        #expect(report.results.first?.result.status == .error)
        #expect(report.results.first?.result.attempts == 1)
    }

    @Test func anAgentReportingARateLimitIsRetried() throws {
        let fixture = try QueueFixture()
        try fixture.startWorker(0)
        let file = try fixture.tasksFile(#"[{"id": "limited", "prompt": "[[rate-limit 1]] go"}]"#)
        let run = try fixture.conductor(["orchestrator", "1", file, "--queue", fixture.root.path, "--json", "--retries", "2", "--backoff", "0.1"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try QueueFixture.report(run.stdout)
        #expect(report.results.first?.result.status == .done)
        #expect(report.results.first?.result.attempts == 2)
    }
}
