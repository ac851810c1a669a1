@testable import Conductor
import Foundation
import Queue
import Testing

/// The coordinator's progress from a queue's journal and rows.
@Suite(.timeLimit(.minutes(3)))
struct RemoteBatchProgressTests {
    /// A directory queue journals a change before it replaces the batch's file: a poll between
    /// the two sees the task's ending in the journal while its row is still claimed. The ending
    /// is reported once the row shows it, with the worker's result, not as a result-less one.
    @Test func anEndingJournaledBeforeItsRowIsReportedOnceTheRowShowsIt() throws {
        let task = TaskSpec.command("true", id: "t1")
        let progress = RemoteBatchProgress(batch: "b1", tasks: [task])
        let journal = [QueueEvent(task: "t1", event: "submit", attempt: 0, worker: nil),
                       QueueEvent(task: "t1", event: "claim", attempt: 1, worker: "hostA-0"),
                       QueueEvent(task: "t1", event: "done", attempt: 1, worker: "hostA-0")]
        let spec = #"{"batch": "b1", "remote": "/r.git", "base": "0000000000000000000000000000000000000000", "task": {"id": "t1", "command": "true"}, "agent": {}}"#
        var outcome = TaskResult.Outcome.synthetic(.done, error: "", attempts: 1)
        outcome.commit = "abc"
        let recorded = String(decoding: try QueueJSON.encoder.encode(RemoteTaskResult(task: task, worker: "hostA-0", host: "a", result: outcome)), as: UTF8.self)
        var finished: [TaskResult] = []
        let collect = { (event: OrchestratorEvent) in if case .finished(_, let result) = event { finished.append(result) } }

        progress.report(journal, rows: [QueuedTask(task: "t1", state: .claimed, attempts: 1, claimedBy: "hostA-0", result: nil, spec: spec)], to: collect)
        #expect(finished.isEmpty)
        let done = QueuedTask(task: "t1", state: .done, attempts: 1, claimedBy: "hostA-0", result: recorded, spec: spec)
        progress.report(journal, rows: [done], to: collect)
        progress.report(journal, rows: [done], to: collect)
        #expect(finished.map(\.result.commit) == ["abc"])
        #expect(finished.first?.result.status == .done)
    }
}
