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
    @Test(arguments: RemoteWorkerFixture.QueueKind.allCases)
    func localWorkersRunTheBatchAndTheReportCoversTheirBranches(queue: RemoteWorkerFixture.QueueKind) async throws {
        let fixture = try await RemoteWorkerFixture.make(queue)
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
        let recorded = (try JSONSerialization.jsonObject(with: Data(record.utf8)) as? [String: Any])?["remote"] as? [String: Any]
        #expect(recorded?["queue"] as? String == fixture.shownURL && recorded?["remoteURL"] as? String == fixture.remote, "\(record)")
        for (name, text) in [("output", output), ("batch.json", record),
                             ("results", try String(contentsOfFile: "\(fixture.store)/rb/results.jsonl", encoding: .utf8)),
                             ("report", try String(contentsOfFile: "\(fixture.store)/rb/report.json", encoding: .utf8))] {
            #expect(!text.contains(fixture.password), "\(name)")
        }
        #expect(try fixture.finished(batch: "rb"))
    }

    @Test func aBaseThatIsNotOnTheRemoteIsRefusedWithThePushToRun() async throws {
        let fixture = try await RemoteWorkerFixture.make()
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

/// What a coordinator does when the name is taken elsewhere, or the database drops it.
@Suite(.serialized, .timeLimit(.minutes(4)), .disabled(if: PostgresServer.unavailable != nil, "\(PostgresServer.unavailable ?? "")"))
struct RemoteBatchFaultTests {
    @Test func aBatchNameAnotherHostUsedOnTheQueueOrTheRemoteIsRefused() async throws {
        let fixture = try await RemoteWorkerFixture.make()
        let tasks = try fixture.remoteTasksFile(["t1"], command: "echo one > t1.txt")
        let first = try fixture.startCoordinator("same", tasksFile: tasks, workers: 1)
        #expect(await fixture.exitStatus(of: first, timeout: 60) == 0, "\(first.output)")
        // Another host's coordinator (its own store), same name: the queue and the remote have it.
        let other = fixture.scratch.appending("other-store")
        let second = try await offThePool { try run([Binaries.conductor, "batch", "--worktrees", "-w", "1", "--queue", fixture.url, "-d", other, "-n", "same", tasks],
                             in: fixture.source.path, environment: fixture.coordinatorEnvironment) }
        #expect(second.status == 3, "\(second.stderr)")
        #expect(second.stderr.contains("pick another --name"), "\(second.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(other)/same"))
        try fixture.source.git(["--git-dir", fixture.remote, "for-each-ref", "--format=delete %(refname)", "refs/heads/conductor/same/"])
            .split(separator: "\n").forEach { line in
                _ = try fixture.source.git(["--git-dir", fixture.remote, "update-ref", "-d", String(line.dropFirst("delete ".count))])
            }
        let third = try await offThePool { try run([Binaries.conductor, "batch", "--worktrees", "-w", "1", "--queue", fixture.url, "-d", other, "-n", "same", tasks],
                            in: fixture.source.path, environment: fixture.coordinatorEnvironment) }
        #expect(third.status == 3)
        #expect(third.stderr.contains("has a batch named same already"), "\(third.stderr)")
        #expect(!third.stderr.contains(fixture.password))
        #expect(try fixture.queue.journal(batch: "same").filter { $0.event == "submit" }.count == 1)
    }

    @Test func aCoordinatorWhoseConnectionDropsConnectsAgainAndFinishes() async throws {
        let fixture = try await RemoteWorkerFixture.make()
        let ids = ["t1", "t2"]
        let tasks = try fixture.remoteTasksFile(ids, command: #"\#(fixture.waitForGate); echo "$CONDUCTOR_TASK_ID" > "$CONDUCTOR_TASK_ID.txt""#)
        let coordinator = try fixture.startCoordinator("drop", tasksFile: tasks, workers: 1)
        defer { coordinator.stop(grace: 10) }
        #expect(try await eventually(timeout: 60) { try fixture.queue.rows(batch: "drop").contains { $0.state == .claimed } }, "\(coordinator.output)")
        // As when the server restarts or the network drops: the coordinator's connection is cut.
        let admin = try PostgresConnection(url: fixture.serverURL)
        #expect(try admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'conductor batch drop coordinator'") == [["t"]])
        #expect(await eventually(timeout: 30) { coordinator.output.contains("connecting again") }, "\(coordinator.output)")
        fixture.openGate()
        #expect(await fixture.exitStatus(of: coordinator, timeout: 120) == 0, "\(coordinator.output)")
        #expect(try fixture.results(batch: "drop").count == 2)
        #expect(!coordinator.output.contains(fixture.password))
    }
}
