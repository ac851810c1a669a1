@testable import Conductor
import Foundation
import Queue
import Testing

/// `result.json` (a worker's `TaskOutcome`) and a run's final record (`TaskResult`, one line of
/// `results.jsonl` and of `--json`) keep their keys, whatever the types that hold them.
@Suite(.timeLimit(.minutes(3))) struct TaskResultJSONTests {
    private static let start = Date(timeIntervalSince1970: 1_800_000_000)

    private static var ran: TaskOutcome {
        var outcome = TaskOutcome(
            taskId: "t1", seq: 4, status: .error, exitCode: 2, output: "out", stderr: "boom: failed", error: "exited with status 2",
            durationMs: 1500, startedAt: start, finishedAt: start.addingTimeInterval(1.5), worker: 1, workerPid: 4242, attempt: 2,
            cwd: "/w", stdoutLog: "/l/4-t1.stdout", stderrLog: "/l/4-t1.stderr", agent: AgentReport(costUsd: 0.5),
            commit: "abc", branch: "conductor/b/w1")
        outcome.commits = ["abc"]
        outcome.warnings = ["HEAD moved"]
        return outcome
    }

    private func json(_ value: some Encodable) throws -> String {
        String(decoding: try QueueJSON.encoder.encode(value), as: UTF8.self)
    }

    @Test func aWorkersResultKeepsItsKeys() throws {
        let text = try json(Self.ran)
        #expect(text == #"{"agent":{"costUsd":0.5},"attempt":2,"branch":"conductor/b/w1","commit":"abc","commits":["abc"],"cwd":"/w","durationMs":1500,"error":"exited with status 2","exitCode":2,"finishedAt":"2027-01-15T08:00:01.500Z","output":"out","seq":4,"startedAt":"2027-01-15T08:00:00.000Z","status":"error","stderr":"boom: failed","stderrLog":"/l/4-t1.stderr","stdoutLog":"/l/4-t1.stdout","taskId":"t1","warnings":["HEAD moved"],"worker":1,"workerPid":4242}"#)
        #expect(try QueueJSON.decoder.decode(TaskOutcome.self, from: Data(text.utf8)) == Self.ran)
    }

    @Test func aFinalRecordKeepsItsKeys() throws {
        let record = TaskResult(task: .command("make", id: "t1"), worker: 1, result: .init(Self.ran))
        let text = try json(record)
        #expect(text == #"{"result":{"agent":{"costUsd":0.5},"attempts":2,"branch":"conductor/b/w1","commit":"abc","commits":["abc"],"durationMs":1500,"error":"exited with status 2","exitCode":2,"finishedAt":"2027-01-15T08:00:01.500Z","output":"out","reason":"exit 2: boom: failed","seq":4,"startedAt":"2027-01-15T08:00:00.000Z","status":"error","stderr":"boom: failed","stderrLog":"/l/4-t1.stderr","stdoutLog":"/l/4-t1.stdout","warnings":["HEAD moved"]},"task":{"command":"make","id":"t1"},"worker":1}"#)
        #expect(try QueueJSON.decoder.decode(TaskResult.self, from: Data(text.utf8)) == record)
    }

    @Test func aTaskThatNeverRanKeepsItsKeys() throws {
        let record = TaskResult(task: .prompt("fix it", id: "t2"), worker: nil,
                                result: .synthetic(.skipped, error: "skipped: task t1 failed", attempts: 0))
        let text = try json(record)
        #expect(text == #"{"result":{"attempts":0,"durationMs":0,"error":"skipped: task t1 failed","output":"","reason":"skipped: task t1 failed","status":"skipped"},"task":{"id":"t2","prompt":"fix it"}}"#)
        #expect(try QueueJSON.decoder.decode(TaskResult.self, from: Data(text.utf8)) == record)
    }

    /// The final record holds the worker's ending as it is, and adds what it knows over attempts.
    @Test func aFinalRecordHoldsTheWorkersEnding() {
        let outcome = TaskResult.Outcome(Self.ran)
        #expect(outcome.ending == Self.ran.ending)
        #expect(outcome.attempts == 2 && outcome.seq == 4 && outcome.stderr == "boom: failed")
        #expect(outcome.reason == "exit 2: boom: failed")
    }

    /// A process that exited 0 and still failed (an agent whose answer was lost) is given its
    /// error as the reason, not "exit 0: " and a line of its stderr.
    @Test func aFailureThatExitedZeroIsGivenItsError() {
        let lost = "the agent ran, but its answer was not kept: cannot open the task log /l/1-p.stdout: Is a directory"
        let outcome = TaskOutcome(taskId: "p", seq: 1, status: .error, exitCode: 0, stderr: "err-line", error: lost, worker: 0, workerPid: 1)
        #expect(TaskResult.Outcome(outcome).reason == lost)
    }
}
