import Conductor
import Foundation
import Testing
import TestSupport

/// `conductor submit -n NAME --queue ADDRESS` on a batch that runs on a shared queue: the tasks
/// join the batch on its queue, any worker of the queue runs them on the batch's branches, and
/// the batch's coordinator records them with the rest (or `--resume` does, once it has ended).
@Suite(.serialized, .timeLimit(.minutes(5)), .disabled(if: PostgresServer.unavailable != nil, "\(PostgresServer.unavailable ?? "")"))
struct RemoteBatchSubmitTests {
    @Test(arguments: RemoteWorkerFixture.QueueKind.allCases)
    func aTaskSubmittedWhileTheCoordinatorRunsIsRunAndRecordedWithTheBatch(queue: RemoteWorkerFixture.QueueKind) async throws {
        let fixture = try await RemoteWorkerFixture.make(queue)
        let tasks = try fixture.remoteTasksFile(["t1"], command: #"\#(fixture.waitForGate); echo "$CONDUCTOR_TASK_ID" > "$CONDUCTOR_TASK_ID.txt""#)
        let coordinator = try fixture.startCoordinator("sb", tasksFile: tasks, workers: 0)
        defer { coordinator.stop(grace: 5) }
        try fixture.startHost("hostA-0")
        #expect(try await eventually(timeout: 60) { try fixture.queue.rows(batch: "sb").first?.state == .claimed }, "\(coordinator.output)")

        let submit = { (arguments: [String]) in
            try await offThePool {
                try run([Binaries.conductor, "submit", "-n", "sb", "-d", fixture.store, "--queue", fixture.url] + arguments,
                        environment: fixture.coordinatorEnvironment, timeout: 120)
            }
        }
        let taken = try await submit(["--id", "t1", "--command", "true"])
        #expect(taken.status == 3 && taken.stderr.contains("batch sb has a task t1 already"), "\(taken.stderr)")
        let waiting = try BackgroundProcess([Binaries.conductor, "submit", "-n", "sb", "-d", fixture.store, "--queue", fixture.url, "--wait",
                                             "--id", "extra", "--command", #"echo extra > "$CONDUCTOR_TASK_ID.txt""#],
                                            environment: fixture.coordinatorEnvironment)
        defer { waiting.stop(grace: 5) }
        #expect(try await eventually(timeout: 60) { try fixture.queue.rows(batch: "sb").map(\.task) == ["t1", "extra"] })
        fixture.openGate()
        #expect(await fixture.exitStatus(of: waiting, timeout: 120) == 0, "\(waiting.output)")
        #expect(waiting.output.contains("extra") && waiting.output.contains("1/1 succeeded"), "\(waiting.output)")
        #expect(!waiting.output.contains(fixture.password))

        #expect(await fixture.exitStatus(of: coordinator, timeout: 120) == 0, "\(coordinator.output)")
        #expect(coordinator.output.contains("done      extra"), "\(coordinator.output)")
        let results = try fixture.results(batch: "sb")
        #expect(results.compactMap { ($0["task"] as? [String: Any])?["id"] as? String } == ["t1", "extra"], "\(results)")
        #expect(results.allSatisfy { ($0["result"] as? [String: Any])?["status"] as? String == "done" }, "\(results)")
        #expect(try fixture.remoteCommitCounts(batch: "sb") == ["t1": 1, "extra": 1])
        #expect(try fixture.reportedBranches(batch: "sb") == fixture.remoteBranches(batch: "sb"))
        #expect(await fixture.stopHosts().values.allSatisfy { $0 == 0 })
    }

    @Test func aTaskSubmittedAfterTheBatchEndedIsRecordedByItsResume() async throws {
        let fixture = try await RemoteWorkerFixture.make(.directory)
        let tasks = try fixture.remoteTasksFile(["t1"], command: #"echo one > "$CONDUCTOR_TASK_ID.txt""#)
        let first = try fixture.startCoordinator("sa", tasksFile: tasks, workers: 1)
        #expect(await fixture.exitStatus(of: first, timeout: 120) == 0, "\(first.output)")

        let submitted = try await offThePool {
            try run([Binaries.conductor, "submit", "-n", "sa", "-d", fixture.store, "--queue", fixture.url, "--id", "later",
                     "--command", #"echo later > "$CONDUCTOR_TASK_ID.txt""#], environment: fixture.coordinatorEnvironment, timeout: 60)
        }
        #expect(submitted.status == 0, "\(submitted.stderr)")
        #expect(submitted.stdout.contains("submitted 1 task(s) (later) to batch sa"), "\(submitted.stdout)")
        let resumed = try BackgroundProcess([Binaries.conductor, "batch", "--resume", "-n", "sa", "-d", fixture.store, "-w", "1",
                                             "--queue", fixture.url], directory: fixture.source.path, environment: fixture.coordinatorEnvironment)
        #expect(await fixture.exitStatus(of: resumed, timeout: 120) == 0, "\(resumed.output)")
        let results = try fixture.results(batch: "sa")
        #expect(results.compactMap { ($0["task"] as? [String: Any])?["id"] as? String } == ["t1", "later"], "\(results)")
        #expect(try fixture.remoteCommitCounts(batch: "sa") == ["t1": 1, "later": 1])
    }

    /// A coordinator that died before it submitted its tasks, then a task submitted to its batch:
    /// `--resume` submits the batch's own tasks too, instead of taking the batch for submitted.
    @Test func aResumeSubmitsTheTasksItsCoordinatorNeverSubmitted() async throws {
        let fixture = try await RemoteWorkerFixture.make(.directory)
        let counters = fixture.scratch.appending("shared queue/counters.json")
        try "not JSON".write(toFile: counters, atomically: true, encoding: .utf8)
        let tasks = try fixture.remoteTasksFile(["t1", "t2"], command: #"echo "$CONDUCTOR_TASK_ID" > "$CONDUCTOR_TASK_ID.txt""#)
        let failed = try fixture.startCoordinator("sm", tasksFile: tasks, workers: 0)
        let status = await fixture.exitStatus(of: failed, timeout: 60)
        #expect(status != nil && status != 0, "\(failed.output)")
        try FileManager.default.removeItem(atPath: counters)

        let submitted = try await offThePool {
            try run([Binaries.conductor, "submit", "-n", "sm", "-d", fixture.store, "--queue", fixture.url, "--id", "extra",
                     "--command", #"echo extra > "$CONDUCTOR_TASK_ID.txt""#], environment: fixture.coordinatorEnvironment, timeout: 60)
        }
        #expect(submitted.status == 0, "\(submitted.stderr)")
        let resumed = try BackgroundProcess([Binaries.conductor, "batch", "--resume", "-n", "sm", "-d", fixture.store, "-w", "1",
                                             "--queue", fixture.url], directory: fixture.source.path, environment: fixture.coordinatorEnvironment)
        #expect(await fixture.exitStatus(of: resumed, timeout: 120) == 0, "\(resumed.output)")
        let results = try fixture.results(batch: "sm")
        #expect(results.compactMap { ($0["task"] as? [String: Any])?["id"] as? String }.sorted() == ["extra", "t1", "t2"], "\(results)")
        #expect(results.allSatisfy { ($0["result"] as? [String: Any])?["status"] as? String == "done" }, "\(results)")
        #expect(try fixture.remoteCommitCounts(batch: "sm") == ["t1": 1, "t2": 1, "extra": 1])
    }
}

