import Conductor
import Foundation
import Postgres
import PostgresQueue
import Testing
import TestSupport

/// Hosts that die or stall mid-task: one `kill -9`-ed, one stopped (SIGSTOP) past its lease and
/// continued once the others have finished: every task is still committed once on the remote and
/// recorded once, and the stopped host's late result is refused.
@Suite(.serialized, .timeLimit(.minutes(4)), .disabled(if: PostgresServer.unavailable != nil, "\(PostgresServer.unavailable ?? "")"))
struct RemoteChaosTests {
    @Test func aKilledHostAndAStoppedOneLeaveEveryTaskCommittedAndRecordedOnce() async throws {
        let fixture = try await RemoteWorkerFixture.make()
        let ids = (1...6).map { "t\($0)" }
        try fixture.submit(batch: "chaos", ids, command: fixture.chaosTaskCommand)
        // Every host is running a task (its process waits on the gate); then one is killed, one stopped.
        let lost = try #require(try await fixture.killOneHostAndStopAnother(batch: "chaos"), "\(fixture.hosts.mapValues(\.output))")
        let (killedTask, stoppedTask) = lost
        let stopped = try #require(fixture.hosts["hostB-0"])
        let finished = try await eventually(timeout: 120) { try fixture.finished(batch: "chaos") }
        #expect(finished, "\(fixture.hosts["hostC-0"]?.output ?? "")")

        stopped.signal(SIGCONT)
        let refused = await eventually(timeout: 60) { stopped.output.contains("the result of task \(stoppedTask) (attempt 1) was refused") }
        #expect(refused, "\(stopped.output)")

        let rows = try fixture.queue.rows(batch: "chaos")
        #expect(rows.map(\.state) == Array(repeating: .done, count: ids.count), "\(rows)")
        #expect(try fixture.remoteCommitCounts(batch: "chaos") == Dictionary(uniqueKeysWithValues: ids.map { ($0, 1) }))
        let journal = try fixture.queue.journal(batch: "chaos")
        for id in ids {
            #expect(journal.filter { $0.task == id && $0.event == "done" }.count == 1, "\(id): \(journal.filter { $0.task == id })")
        }
        for task in [killedTask, stoppedTask] {
            #expect(journal.contains { $0.task == task && $0.event == "expired" }, "\(task): \(journal.filter { $0.task == task })")
            #expect(rows.first { $0.task == task }?.claimedBy == "hostC-0")
        }
        #expect(!journal.contains { $0.worker == "hostB-0" && $0.event == "done" })
        // The stopped host's branch is fenced: a late push from its old tip is no fast-forward.
        let fences = try fixture.source.git(["--git-dir", fixture.remote, "log", "conductor/chaos/hostB-0",
                                             "--format=%(trailers:key=Conductor-Fence,valueonly)"])
        #expect(fences.contains(stoppedTask), "\(fences)")
        #expect(stopped.output.contains("lease"), "\(stopped.output)")
        let statuses = try await fixture.close()
        #expect(statuses["hostB-0"] == 0 && statuses["hostC-0"] == 0, "\(statuses)")
    }
}
