import Conductor
import Foundation
import Postgres
import PostgresQueue
import Testing
import TestSupport

/// `conductor batch --resume NAME --queue postgres://…` after the coordinator itself was
/// `kill -9`-ed: the queue holds the state, so nothing is submitted again; its local worker
/// ended with it (giving its task back), and the resumed coordinator waits for the rest and
/// writes the results and the report.
@Suite(.serialized, .timeLimit(.minutes(4)), .disabled(if: PostgresServer.unavailable != nil, "\(PostgresServer.unavailable ?? "")"))
struct RemoteBatchResumeTests {
    @Test(arguments: RemoteWorkerFixture.QueueKind.allCases)
    func aResumedCoordinatorPicksUpFromTheQueueWithoutSubmittingAgain(queue: RemoteWorkerFixture.QueueKind) async throws {
        let fixture = try await RemoteWorkerFixture.make(queue)
        let ids = (1...4).map { "t\($0)" }
        let tasks = try fixture.remoteTasksFile(ids, command: #"\#(fixture.waitForGate); echo "$CONDUCTOR_TASK_ID" > "$CONDUCTOR_TASK_ID.txt""#)
        let first = try fixture.startCoordinator("rr", tasksFile: tasks, workers: 1)
        defer { first.stop(grace: 5) }
        try fixture.startHost("hostA-0")
        let bothBusy = try await eventually(timeout: 60) {
            try fixture.queue.rows(batch: "rr").filter { $0.state == .claimed }.count == 2
        }
        #expect(bothBusy, "\(first.output)")
        let local = try #require(try fixture.queue.rows(batch: "rr").compactMap(\.claimedBy).first { $0 != "hostA-0" })
        #expect(try await fixture.listing(batch: "rr").state == "running")
        let status = try await offThePool { try run([Binaries.conductor, "status", "-n", "rr", "-d", fixture.store, "--queue", fixture.url],
                             environment: fixture.coordinatorEnvironment) }
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("2 queued, 2 claimed, 0 done, 0 failed") && status.stdout.contains("hostA-0"), "\(status.stdout)")
        #expect(!(status.stdout + status.stderr).contains(fixture.password))
        first.signal(SIGKILL)
        #expect(await fixture.exitStatus(of: first, timeout: 30) != nil)
        // Its local worker notices and gives its task back.
        let released = try await eventually(timeout: 60) {
            try fixture.queue.journal(batch: "rr").contains { $0.event == "released" && $0.worker == local }
        }
        #expect(released)
        #expect(await eventually(timeout: 30) { !Self.processRunning(containing: "\(fixture.store)/rr/workers/") })

        #expect(try await fixture.listing(batch: "rr").state == "interrupted")
        fixture.openGate()
        let resumed = try BackgroundProcess([Binaries.conductor, "batch", "--resume", "-n", "rr", "-d", fixture.store, "-w", "1"],
                                            directory: fixture.source.path,
                                            environment: fixture.coordinatorEnvironment.merging(["CONDUCTOR_QUEUE": fixture.url]) { $1 })
        #expect(await fixture.exitStatus(of: resumed, timeout: 120) == 0, "\(resumed.output)")
        #expect(try await fixture.listing(batch: "rr") == ("done", 4))
        let journal = try fixture.queue.journal(batch: "rr")
        for id in ids {
            #expect(journal.filter { $0.task == id && $0.event == "submit" }.count == 1, "\(id) submitted again")
            #expect(journal.filter { $0.task == id && $0.event == "done" }.count == 1)
        }
        #expect(try fixture.remoteCommitCounts(batch: "rr") == Dictionary(uniqueKeysWithValues: ids.map { ($0, 1) }))
        let results = try fixture.results(batch: "rr")
        #expect(results.allSatisfy { ($0["result"] as? [String: Any])?["status"] as? String == "done" }, "\(results)")
        #expect(try fixture.reportedBranches(batch: "rr") == fixture.remoteBranches(batch: "rr"))
        #expect(!resumed.output.contains(fixture.password))
        #expect(await fixture.stopHosts().values.allSatisfy { $0 == 0 })
        #expect(!Self.processRunning(containing: "\(fixture.store)/rr/workers/"))
    }

    @Test func resumingOnAnotherQueueOrWithoutOneIsRefused() async throws {
        let fixture = try await RemoteWorkerFixture.make()
        let tasks = try fixture.remoteTasksFile(["t1"], command: "true")
        let coordinator = try fixture.startCoordinator("rq", tasksFile: tasks, workers: 1)
        #expect(await fixture.exitStatus(of: coordinator, timeout: 60) == 0, "\(coordinator.output)")
        let other = try await offThePool { try run([Binaries.conductor, "batch", "--resume", "-n", "rq", "-d", fixture.store, "--queue",
                             "postgres://postgres:\(fixture.password)@127.0.0.1:1/other"], environment: fixture.coordinatorEnvironment) }
        #expect(other.status == 2)
        #expect(other.stderr.contains("runs on the queue postgres://postgres:***@127.0.0.1:\(fixture.serverPort)/postgres"), "\(other.stderr)")
        #expect(!other.stderr.contains(fixture.password))
        let local = try await offThePool { try run([Binaries.conductor, "batch", "--resume", "-n", "rq", "-d", fixture.store], environment: fixture.coordinatorEnvironment) }
        #expect(local.status == 2)
        #expect(local.stderr.contains("resume it with --queue"), "\(local.stderr)")
    }

    /// True when a live process's command line contains `text`.
    static func processRunning(containing text: String) -> Bool {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { Int($0) != nil } ?? []
        return pids.contains { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                  let status = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  !status.contains(") Z ") else { return false }
            return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(text)
        }
    }
}
