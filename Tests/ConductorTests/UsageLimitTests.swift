import Conductor
import Foundation
import Testing
import TestSupport

/// An agent's usage limit holds every prompt until the reset, without spending retries, while
/// commands go on; status and progress say until when.
@Suite(.timeLimit(.minutes(3))) struct UsageLimitTests {
    @Test func promptsWaitForTheResetAndCommandsGoOn() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let file = try fixture.tasksFile("""
        {"tasks": [
          {"id": "limited", "prompt": "[[usage-limit 2]] [[write u.txt u]]"},
          {"id": "command", "command": "echo c > c.txt"},
          {"id": "prompt", "prompt": "[[write p.txt p]]"}
        ]}
        """)
        let batch = try BackgroundProcess(
            [Binaries.conductor, "batch", "--worktrees", "-w", "1", "-d", fixture.store, "-n", "u", "--retries", "0", file],
            directory: app, environment: fixture.environment)
        var status = ""
        #expect(waitUntil(timeout: 30) {
            status = (try? fixture.conductor(["status", "-n", "u", "-d", fixture.store]).stdout) ?? ""
            return status.contains("waiting for the usage limit to reset at")
        }, "status says prompts wait: \(status)")
        #expect(batch.waitForExit(timeout: 90) == 0, "\(batch.output.suffix(2000))")
        #expect(batch.output.contains("waiting   for the usage limit to reset at"), "progress says it too: \(batch.output)")
        let records = try BatchRun.finalResults(journal: "\(fixture.store)/u/journal.jsonl")
        let limited = try #require(records["limited"]?.result)
        #expect(limited.status == .done)
        #expect(limited.attempts == 2, "run again after the reset, though --retries is 0")
        let command = try #require(records["command"]?.result)
        let prompt = try #require(records["prompt"]?.result)
        let commandEnded = try #require(command.finishedAt)
        let limitedRanAgain = try #require(limited.startedAt)
        let promptStarted = try #require(prompt.startedAt)
        #expect(commandEnded < limitedRanAgain, "the command ran while prompts waited")
        #expect(commandEnded < promptStarted, "the other prompt waited for the reset")
        #expect(!FileManager.default.fileExists(atPath: "\(fixture.store)/u/queue/usage-limit.json"), "the notice is gone with the run")
    }

    @Test func theResetTimeIsReadFromEachAgentsMessage() throws {
        let now = Date()
        let epoch = Int(now.timeIntervalSince1970) + 3600
        let claude = try #require(AgentOutput.read(Data(#"{"type":"result","is_error":true,"result":"Claude AI usage limit reached|\#(epoch)"}"#.utf8),
                                                   stderr: "", exitStatus: 1, format: .claudeJSON))
        #expect(claude.report.usageLimited == true)
        #expect(claude.report.limitResetsAt == Date(timeIntervalSince1970: TimeInterval(epoch)))

        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "Europe/Paris"))
        // Three hours ahead in Paris: never the hour just passed, which reads as reset already.
        let hourInParis = (calendar.component(.hour, from: now) + 3) % 24
        let clock = "\(hourInParis % 12 == 0 ? 12 : hourInParis % 12)\(hourInParis < 12 ? "am" : "pm")"
        let paris = try #require(AgentOutput.read(Data(#"{"type":"result","is_error":true,"result":"You've hit your limit · resets \#(clock) (Europe/Paris)"}"#.utf8),
                                                  stderr: "", exitStatus: 1, format: .claudeJSON))
        let reset = try #require(paris.report.limitResetsAt)
        #expect(calendar.component(.hour, from: reset) == hourInParis && calendar.component(.minute, from: reset) == 0, "\(clock) in Paris")
        #expect(reset > now && reset.timeIntervalSince(now) <= 24 * 3600, "the next \(clock) in Paris")

        calendar.timeZone = .current
        let localHour = (calendar.component(.hour, from: now) + 3) % 24
        let localClock = "\(localHour % 12 == 0 ? 12 : localHour % 12):02 \(localHour < 12 ? "AM" : "PM")"
        let codexEvents = #"{"type":"thread.started","thread_id":"t"}"# + "\n" + #"{"type":"error","message":"You've hit your usage limit. Upgrade to Pro or try again at \#(localClock)."}"#
        let codex = try #require(AgentOutput.read(Data(codexEvents.utf8), stderr: "", exitStatus: 1, format: .codexEvents))
        let codexReset = try #require(codex.report.limitResetsAt)
        #expect(codex.report.usageLimited == true)
        #expect(calendar.component(.hour, from: codexReset) == localHour && calendar.component(.minute, from: codexReset) == 2, "\(localClock)")

        // A time the agent rounded down, just passed: the limit has reset, not tomorrow's.
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = try #require(TimeZone(identifier: "UTC"))
        let hour = utc.component(.hour, from: now)
        let justPassed = try #require(AgentOutput.read(Data(#"{"type":"result","is_error":true,"result":"You've hit your limit · resets \#(hour):00 (UTC)"}"#.utf8),
                                                       stderr: "", exitStatus: 1, format: .claudeJSON))
        #expect(try #require(justPassed.report.limitResetsAt).timeIntervalSince(now) < 60, "\(String(describing: justPassed.report.limitResetsAt))")

        let rate = try #require(AgentOutput.read(Data(#"{"type":"result","is_error":true,"result":"API Error: Rate limit reached"}"#.utf8),
                                                 stderr: "", exitStatus: 0, format: .claudeJSON))
        #expect(rate.report.usageLimited == nil, "a rate limit is retried with backoff, not waited out")
    }
}
