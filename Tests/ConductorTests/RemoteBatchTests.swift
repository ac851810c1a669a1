import Conductor
import Foundation
import Postgres
import PostgresQueue
import Testing
import TestSupport

/// `conductor batch --worktrees --queue postgres://… -w N`: the coordinator submits the batch,
/// runs N local workers, shows progress, and at the end fetches the workers' branches from the
/// remote, writes results.jsonl and a report covering every branch; the password shows nowhere.
@Suite(.serialized, .timeLimit(.minutes(4)), .disabled(if: PostgresServer.unavailable != nil, "\(PostgresServer.unavailable ?? "")"))
struct RemoteBatchTests {
    @Test func localWorkersRunTheBatchAndTheReportCoversTheirBranches() async throws {
        let fixture = try RemoteWorkerFixture()
        let ids = (1...4).map { "t\($0)" }
        let tasks = try fixture.remoteTasksFile(ids, command: #"echo "$CONDUCTOR_TASK_ID" > "$CONDUCTOR_TASK_ID.txt""#)
        let coordinator = try fixture.startCoordinator("rb", tasksFile: tasks, workers: 2)
        let status = await fixture.exitStatus(of: coordinator, timeout: 120)
        let output = coordinator.output
        #expect(status == 0, "\(output)")
        for id in ids {
            #expect(output.contains("start     \(id) on worker "), "\(output)")
            #expect(output.contains("done      \(id)"), "\(output)")
        }
        #expect(try fixture.remoteCommitCounts(batch: "rb") == Dictionary(uniqueKeysWithValues: ids.map { ($0, 1) }))
        let results = try fixture.results(batch: "rb")
        #expect(results.compactMap { ($0["task"] as? [String: Any])?["id"] as? String } == ids)
        #expect(results.allSatisfy { ($0["result"] as? [String: Any])?["status"] as? String == "done" }, "\(results)")
        let branches = try fixture.remoteBranches(batch: "rb")
        #expect(!branches.isEmpty && branches.allSatisfy { $0.hasPrefix("conductor/rb/") && !$0.hasPrefix("conductor/rb/w") }, "\(branches)")
        #expect(try fixture.reportedBranches(batch: "rb") == branches)
        for branch in branches {
            #expect(try fixture.source.revParse(branch) == fixture.source.git(["--git-dir", fixture.remote, "rev-parse", branch])
                .trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let record = try String(contentsOfFile: "\(fixture.store)/rb/batch.json", encoding: .utf8)
        #expect(record.contains("postgres://postgres:***@") && record.contains(fixture.remote), "\(record)")
        for (name, text) in [("output", output), ("batch.json", record),
                             ("results", try String(contentsOfFile: "\(fixture.store)/rb/results.jsonl", encoding: .utf8)),
                             ("report", try String(contentsOfFile: "\(fixture.store)/rb/report.json", encoding: .utf8))] {
            #expect(!text.contains(fixture.password), "\(name)")
        }
        #expect(try fixture.finished(batch: "rb"))
    }

    @Test func aBaseThatIsNotOnTheRemoteIsRefusedWithThePushToRun() async throws {
        let fixture = try RemoteWorkerFixture()
        let tasks = try fixture.remoteTasksFile(["t1"], command: "true")
        try fixture.source.write("later.txt", "later\n")
        try fixture.source.git(["add", "-A"])
        try fixture.source.commit("not pushed")
        let coordinator = try fixture.startCoordinator("nb", tasksFile: tasks, workers: 1)
        let status = await fixture.exitStatus(of: coordinator, timeout: 60)
        #expect(status != 0 && status != nil)
        #expect(coordinator.output.contains("is not on the remote origin"), "\(coordinator.output)")
        #expect(coordinator.output.contains("push it first: git -C \(fixture.source.path) push origin main"), "\(coordinator.output)")
        #expect(!FileManager.default.fileExists(atPath: "\(fixture.store)/nb"))
        #expect(try fixture.queue.rows(batch: "nb").isEmpty)
    }
}
