import Conductor
import Foundation
import Postgres
import PostgresQueue
import Testing
import TestSupport

/// `conductor worker NAME DIR --queue postgres://…` as hosts sharing only the database and a bare
/// remote: each task is committed once on the remote and recorded once; a task whose commit an
/// earlier attempt pushed is not run again; a worker name is held by one live worker.
@Suite(.serialized, .timeLimit(.minutes(4)), .disabled(if: PostgresServer.unavailable != nil, "\(PostgresServer.unavailable ?? "")"))
struct RemoteWorkerTests {
    @Test(arguments: RemoteWorkerFixture.QueueKind.allCases)
    func tasksOverThreeHostsAreCommittedOnTheRemoteAndRecordedOnceEach(queue: RemoteWorkerFixture.QueueKind) async throws {
        let fixture = try await RemoteWorkerFixture.make(queue)
        let ids = (1...9).map { "t\($0)" }
        try fixture.submit(batch: "b1", ids, command: #"echo "$CONDUCTOR_TASK_ID by $CONDUCTOR_WORKER" > "$CONDUCTOR_TASK_ID.txt""#)
        for name in ["hostA-0", "hostB-0", "hostC-0"] { try fixture.startHost(name) }
        let finished = try await eventually(timeout: 120) { try fixture.finished(batch: "b1") }
        let logs = fixture.hosts.mapValues(\.output)
        #expect(finished, "\(logs)")
        let rows = try fixture.queue.rows(batch: "b1")
        #expect(rows.map(\.state) == Array(repeating: .done, count: 9), "\(rows)")
        #expect(try fixture.remoteCommitCounts(batch: "b1") == Dictionary(uniqueKeysWithValues: ids.map { ($0, 1) }))
        let done = try fixture.queue.journal(batch: "b1").filter { $0.event == "done" }.map(\.task)
        #expect(done.sorted() == ids.sorted())
        for row in rows {
            let result = try JSONDecoder().decode(Probe.self, from: Data((row.result ?? "{}").utf8))
            #expect(result.worker == row.claimedBy)
            let commit = try #require(result.result.commit)
            let branch = try #require(result.result.branch)
            #expect(try fixture.source.git(["--git-dir", fixture.remote, "merge-base", "--is-ancestor", commit, branch]).isEmpty)
            #expect(try fixture.source.git(["--git-dir", fixture.remote, "show", "\(commit):\(row.task).txt"]) == "\(row.task) by \(result.worker)\n")
            #expect(!(row.result ?? "").contains(fixture.password))
        }
        let statuses = try await fixture.close()
        #expect(statuses.values.allSatisfy { $0 == 0 }, "\(statuses)")
        for (name, log) in fixture.hosts.mapValues(\.output) {
            #expect(!log.contains(fixture.password), "\(name): \(log)")
            #expect(log.contains(fixture.shownURL), "\(name): \(log)")
        }
    }

    @Test(arguments: RemoteWorkerFixture.QueueKind.allCases)
    func anIdleWorkerWakesOnSubmitLongBeforeItsNextLook(queue: RemoteWorkerFixture.QueueKind) async throws {
        let fixture = try await RemoteWorkerFixture.make(queue)
        // The worker looks at the queue every 600 s: only the NOTIFY of the submit can wake it in time.
        let host = try fixture.startHost("idle-0", lease: 1200, extraArguments: ["--poll", "600"])
        #expect(try await eventually(timeout: 60) { host.output.contains("serving") }, "\(host.output)")
        try await Task.sleep(for: .seconds(1)) // past its first, empty look
        try fixture.submit(batch: "b1", ["t1"], command: "true")
        let finished = try await eventually(timeout: 60) { try fixture.finished(batch: "b1") }
        #expect(finished, "\(host.output)")
        let statuses = try await fixture.close()
        #expect(statuses.values.allSatisfy { $0 == 0 }, "\(statuses)")
    }

    @Test(arguments: RemoteWorkerFixture.QueueKind.allCases)
    func aTaskWhoseCommitWasPushedButNeverRecordedIsNotRunAgain(queue: RemoteWorkerFixture.QueueKind) async throws {
        let fixture = try await RemoteWorkerFixture.make(queue)
        let marker = fixture.scratch.appending("ran")
        try fixture.submit(batch: "b1", ["t1"], command: "touch '\(marker)'; echo again > t1.txt")
        // A host claimed the task, committed and pushed its work, and died before recording it.
        let ghost = try #require(try fixture.queue.claim(worker: "ghost-0", lease: 0))
        let pushed = try fixture.pushTaskCommit(batch: "b1", task: "t1", worker: "ghost-0")
        #expect(ghost.attempt == 1)

        try fixture.startHost("host-1")
        #expect(try await eventually(timeout: 60) { try fixture.finished(batch: "b1") }, "\(fixture.hosts["host-1"]?.output ?? "")")
        let row = try #require(try fixture.queue.rows(batch: "b1").first)
        #expect(row.state == .done && row.attempts == 2 && row.claimedBy == "host-1")
        let result = try JSONDecoder().decode(Probe.self, from: Data((row.result ?? "{}").utf8))
        #expect(result.result.commit == pushed)
        #expect(result.result.branch == "conductor/b1/ghost-0")
        #expect(!FileManager.default.fileExists(atPath: marker), "the task ran again")
        #expect(try fixture.remoteCommitCounts(batch: "b1") == ["t1": 1])
        #expect(try await fixture.close().values.allSatisfy { $0 == 0 })
    }

    /// A fence for another task (one this worker once held and lost) is built on; a fence for
    /// the very task being pushed means a newer attempt owns it: nothing is pushed over it.
    @Test(arguments: ["t0", "t2"])
    func aWorkerWhoseBranchWasFencedMeanwhileBuildsOnlyOnFencesForOtherTasks(fencedTask: String) async throws {
        let fixture = try await RemoteWorkerFixture.make()
        let host = try await fixture.hostRunningItsSecondTask()
        // Another worker retrying a task host-1 once held fences host-1's branch while host-1,
        // alive and holding its lease, runs t2.
        let clone = fixture.scratch.appending("other")
        try fixture.source.git(["clone", "-q", "-b", "conductor/b1/host-1", fixture.remote, clone])
        try fixture.source.git(["commit", "-q", "--allow-empty", "-m", "conductor: fence", "-m", "Conductor-Fence: \(fencedTask)"], in: clone)
        try fixture.source.git(["push", "-q", "origin", "conductor/b1/host-1"], in: clone)
        let fence = try fixture.source.revParse("HEAD", in: clone)
        fixture.openGate()
        #expect(try await eventually(timeout: 60) { try fixture.finished(batch: "b1") }, "\(host.output)")
        let row = try #require(try fixture.queue.rows(batch: "b1").first { $0.task == "t2" })
        guard fencedTask == "t0" else {
            #expect(row.state == .failed, "\(row.result ?? "")")
            #expect(row.result?.contains("not fences for other tasks") == true, "\(row.result ?? "")")
            #expect(try fixture.source.revParse("conductor/b1/host-1", in: fixture.remote) == fence)
            #expect(try fixture.remoteCommitCounts(batch: "b1") == ["t1": 1])
            #expect(try await fixture.close() == ["host-1": 0])
            return
        }
        #expect(row.state == .done, "\(row.result ?? "")")
        let result = try JSONDecoder().decode(Probe.self, from: Data((row.result ?? "{}").utf8))
        let commit = try #require(result.result.commit)
        #expect(try fixture.source.revParse("conductor/b1/host-1", in: fixture.remote) == commit)
        #expect(try fixture.source.git(["--git-dir", fixture.remote, "rev-parse", "\(commit)^"]).hasPrefix(fence))
        #expect(try fixture.remoteCommitCounts(batch: "b1") == ["t1": 1, "t2": 1])
        #expect(try await fixture.close().values.allSatisfy { $0 == 0 })
    }

    @Test func aTaskWhosePushFailsBecauseTheRemoteWentAwayIsNotRecordedAsDone() async throws {
        let fixture = try await RemoteWorkerFixture.make()
        let host = try await fixture.hostRunningItsSecondTask()
        let away = fixture.scratch.appending("remote-away.git")
        try FileManager.default.moveItem(atPath: fixture.remote, toPath: away)
        fixture.openGate()
        #expect(try await eventually(timeout: 60) { try fixture.finished(batch: "b1") }, "\(host.output)")
        try FileManager.default.moveItem(atPath: away, toPath: fixture.remote)
        let row = try #require(try fixture.queue.rows(batch: "b1").first { $0.task == "t2" })
        #expect(row.state == .failed, "\(row.result ?? "")")
        #expect(row.result?.contains("pushing conductor/b1/host-1 to the remote failed") == true, "\(row.result ?? "")")
        #expect(try fixture.remoteCommitCounts(batch: "b1") == ["t1": 1])
        #expect(try await fixture.close() == ["host-1": 0])
    }

    @Test func aWorkerConnectsAgainWhenTheDatabaseDropsItsConnections() async throws {
        let fixture = try await RemoteWorkerFixture.make()
        try fixture.submit(batch: "b1", ["t1"], command: "echo one > t1.txt")
        let host = try fixture.startHost("host-1")
        #expect(try await eventually(timeout: 60) { try fixture.finished(batch: "b1") }, "\(host.output)")
        // As when the server restarts or the network drops: the worker's connection is cut.
        let admin = try PostgresConnection(url: fixture.serverURL)
        let cut = try admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'conductor worker host-1 %'")
        #expect(cut == [["t"]])
        try fixture.submit(batch: "b1", ["t2"], command: "echo two > t2.txt")
        #expect(try await eventually(timeout: 60) { try fixture.finished(batch: "b1") }, "\(host.output)")
        #expect(try fixture.queue.rows(batch: "b1").map(\.state) == [.done, .done])
        #expect(host.output.contains("connecting again"), "\(host.output)")
        #expect(!host.output.contains(fixture.password))
        #expect(try await fixture.close() == ["host-1": 0])
    }

    @Test func aWorkerNameWithoutAPostgresQueueOrOneThatIsReservedIsRefusedWithTheFix() throws {
        let scratch = TemporaryDirectory()
        let result = try run([Binaries.conductor, "worker", "hostA-0", scratch.path, "--queue", scratch.appending("q")], timeout: 60)
        #expect(result.status != 0)
        #expect(result.stderr.contains("names like hostA-0 are for a shared queue, --queue postgres://"), "\(result.stderr)")
        for name in ["merged", "w3", "a/b"] {
            let refused = try run([Binaries.conductor, "worker", name, scratch.path, "--queue", "postgres://u:secret@127.0.0.1:1/db"], timeout: 60)
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("the worker name '\(name)'"), "\(refused.stderr)")
        }
        #expect(RemoteWorkerConfiguration.problem(withName: "w3x") == nil && RemoteWorkerConfiguration.problem(withName: "hostA-0") == nil)
    }

    @Test(arguments: RemoteWorkerFixture.QueueKind.allCases)
    func sigtermEndsTheTasksProcessGroupAndGivesTheClaimBack(queue: RemoteWorkerFixture.QueueKind) async throws {
        let fixture = try await RemoteWorkerFixture.make(queue)
        let (host, taskPid) = try await fixture.hostRunningAWaitingTask()
        host.signal(SIGTERM)
        #expect(await fixture.exitStatus(of: host, timeout: 60) == 0, "\(host.output)")
        #expect(await eventually(timeout: 30) { !processIsAlive(taskPid) }, "the task's process outlived its worker")
        let row = try #require(try fixture.queue.rows(batch: "b1").first)
        #expect(row.state == .queued && row.result == nil, "\(row)")
        #expect(try fixture.queue.journal(batch: "b1").map(\.event) == ["submit", "claim", "released"])
        #expect(host.output.contains("task t1 given back to the queue"), "\(host.output)")
        _ = try await fixture.close()
    }

    @Test(arguments: RemoteWorkerFixture.QueueKind.allCases)
    func aSecondLiveWorkerWithTheSameNameIsRefused(queue: RemoteWorkerFixture.QueueKind) async throws {
        let fixture = try await RemoteWorkerFixture.make(queue)
        let first = try fixture.startHost("hostA-0")
        #expect(await eventually(timeout: 60) { first.output.contains("serving") }, "\(first.output)")
        // The second one finds the queue in $CONDUCTOR_QUEUE.
        let second = try run([Binaries.conductor, "worker", "hostA-0", fixture.scratch.path], environment: ["CONDUCTOR_QUEUE": fixture.url],
                             timeout: 60)
        #expect(second.status != 0)
        #expect(second.stderr.contains("worker name 'hostA-0' is held by a live worker"), "\(second.stderr)")
        #expect(second.stderr.contains("conductor worker hostA-0 on"), "the refusal names the holder: \(second.stderr)")
        #expect(!second.stderr.contains(fixture.password))
        #expect(await fixture.stopHosts() == ["hostA-0": 0])
        // Once the first one is gone, the name is free again.
        let again = try fixture.startHost("hostA-0")
        #expect(await eventually(timeout: 60) { again.output.contains("serving") }, "\(again.output)")
        #expect(try await fixture.close() == ["hostA-0": 0])
    }
}

/// The fields of a recorded result the tests read.
struct Probe: Decodable {
    struct Outcome: Decodable {
        var status: String
        var commit: String?
        var branch: String?
        var warnings: [String]?
    }

    var worker: String
    var result: Outcome
}
