import Conductor
import Foundation
import PostgresQueue
import Testing
import TestSupport

/// A task whose host pushed its commit and died before recording it, on its last allowed lease:
/// the queue records it failed, but its work is on the remote. The coordinator says so, with the
/// command that records it.
@Suite(.serialized, .timeLimit(.minutes(4)), .disabled(if: PostgresServer.unavailable != nil, "\(PostgresServer.unavailable ?? "")"))
struct RemoteBatchCommittedFailureTests {
    @Test func aTaskRecordedFailedWhoseCommitIsOnTheRemoteIsNamedWithTheFix() async throws {
        let fixture = try await RemoteWorkerFixture.make()
        let tasks = try fixture.remoteTasksFile(["t1"], command: "echo one > t1.txt")
        let coordinator = try fixture.startCoordinator("bc", tasksFile: tasks, workers: 0, extra: ["--retries", "0"])
        defer { coordinator.stop(grace: 5) }
        #expect(try await eventually(timeout: 60) { try !fixture.queue.rows(batch: "bc").isEmpty }, "\(coordinator.output)")
        // ghost-0 pushed t1's commit, then died holding the claim, on its only allowed lease.
        let pushed = try fixture.pushTaskCommit(batch: "bc", task: "t1", worker: "ghost-0", content: "one\n")
        #expect(try fixture.queue.claim(worker: "ghost-0", lease: 0)?.task == "t1")

        #expect(await fixture.exitStatus(of: coordinator, timeout: 60) == 1, "\(coordinator.output)")
        #expect(try fixture.queue.rows(batch: "bc").map(\.state) == [.failed])
        #expect(coordinator.output.contains("task t1 is recorded failed, but its commit \(pushed.prefix(12)) is on conductor/bc/ghost-0"),
                "\(coordinator.output)")
        #expect(coordinator.output.contains("conductor batch --resume -n bc"), "\(coordinator.output)")

        // As it says: the resumed batch records that commit, and nothing runs t1 again.
        let (store, url, environment) = (fixture.store, fixture.url, fixture.coordinatorEnvironment)
        let resumed = try await offThePool {
            try run([Binaries.conductor, "batch", "--resume", "-n", "bc", "-w", "1", "--queue", url, "-d", store], in: fixture.source.path,
                    environment: environment, timeout: 120)
        }
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let row = try #require(try fixture.queue.rows(batch: "bc").first)
        #expect(row.state == .done && row.result?.contains(pushed) == true, "\(row)")
        #expect(try fixture.remoteCommitCounts(batch: "bc") == ["t1": 1])
    }
}
