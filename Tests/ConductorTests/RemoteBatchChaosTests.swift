import Conductor
import Foundation
import Postgres
import PostgresQueue
import Testing
import TestSupport

/// The multi-host proof of issue 16: a coordinator with no local workers (`-w 0`) and three
/// hosts sharing nothing but the database and a bare remote; one host is `kill -9`-ed mid-task,
/// another stopped (SIGSTOP) past its lease, then continued. Every task is committed once on the
/// remote, recorded once (results.jsonl and the queue), and the report covers every branch.
@Suite(.serialized, .timeLimit(.minutes(5)), .disabled(if: PostgresServer.unavailable != nil, "\(PostgresServer.unavailable ?? "")"))
struct RemoteBatchChaosTests {
    @Test(arguments: RemoteWorkerFixture.QueueKind.allCases)
    func aCoordinatorWithHostsThatDieOrStallRecordsEveryTaskOnceAndReportsEveryBranch(queue: RemoteWorkerFixture.QueueKind) async throws {
        let fixture = try await RemoteWorkerFixture.make(queue)
        let ids = (1...6).map { "t\($0)" }
        let tasks = try fixture.remoteTasksFile(ids, command: fixture.chaosTaskCommand)
        let coordinator = try fixture.startCoordinator("multi", tasksFile: tasks, workers: 0)
        defer { coordinator.stop(grace: 10) }
        let lost = try await fixture.killOneHostAndStopAnother(batch: "multi")
        #expect(lost != nil, "\(coordinator.output) \(fixture.hosts.mapValues(\.output))")
        let names = RemoteWorkerFixture.chaosHosts
        let stopped = try #require(fixture.hosts["hostB-0"])

        // hostC-0 finishes every task, the two lost ones after their leases ran out.
        let status = await fixture.exitStatus(of: coordinator, timeout: 180)
        let output = coordinator.output
        #expect(status == 0, "\(output) \(fixture.hosts["hostC-0"]?.output ?? "")")
        stopped.signal(SIGCONT)
        let refused = await eventually(timeout: 60) { stopped.output.contains("was refused") }
        #expect(refused, "\(stopped.output)")
        #expect(output.contains("the lease of hostA-0 ran out") && output.contains("the lease of hostB-0 ran out"), "\(output)")

        #expect(try fixture.remoteCommitCounts(batch: "multi") == Dictionary(uniqueKeysWithValues: ids.map { ($0, 1) }))
        let results = try fixture.results(batch: "multi")
        #expect(results.compactMap { ($0["task"] as? [String: Any])?["id"] as? String } == ids)
        #expect(results.allSatisfy { ($0["result"] as? [String: Any])?["status"] as? String == "done" }, "\(results)")
        let rows = try fixture.queue.rows(batch: "multi")
        #expect(rows.map(\.state) == Array(repeating: .done, count: ids.count), "\(rows)")
        let journal = try fixture.queue.journal(batch: "multi")
        for id in ids {
            #expect(journal.filter { $0.task == id && $0.event == "done" }.count == 1, "\(id): \(journal.filter { $0.task == id })")
            #expect(journal.filter { $0.task == id && $0.event == "submit" }.count == 1)
        }
        // The fenced branches of the lost hosts are on the remote too, and the report covers them.
        let branches = try fixture.remoteBranches(batch: "multi")
        #expect(branches == Set(names.map { "conductor/multi/\($0)" }), "\(branches)")
        #expect(try fixture.reportedBranches(batch: "multi") == branches)
        let statuses = await fixture.stopHosts()
        #expect(statuses["hostB-0"] == 0 && statuses["hostC-0"] == 0, "\(statuses)")
        for text in [output, stopped.output, try String(contentsOfFile: "\(fixture.store)/multi/report.json", encoding: .utf8)] {
            #expect(!text.contains(fixture.password))
        }
    }
}
