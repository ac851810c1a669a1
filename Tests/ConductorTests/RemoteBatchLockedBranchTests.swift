import Conductor
import Foundation
import PostgresQueue
import Testing
import TestSupport

/// A remote worker pushes its task's commit to the worker's branch on a path remote. A lock on
/// that branch that another process keeps in use is not a branch that moved, yet the push was
/// reported so: the worker fetched and failed the task saying the remote's branch "moved … with
/// commits that are not fences" (and where the branch had commits, pushed again for 21 s before
/// saying it "kept moving"). It fails at once now, naming the lock, and says where the commits are.
@Suite(.serialized, .timeLimit(.minutes(4)), .disabled(if: PostgresServer.unavailable != nil, "\(PostgresServer.unavailable ?? "")"))
struct RemoteBatchLockedBranchTests {
    @Test func aPushToABranchLockedByAnotherProcessFailsNamingTheLock() async throws {
        let fixture = try await RemoteWorkerFixture.make()
        let lockPath = fixture.scratch.appending("lock-path")
        // The task names the lock of its worker's branch on the remote and waits; this test then
        // keeps that lock in use (a process outside the worker, which ends whatever a task leaves).
        let command = """
            echo one > t1.txt
            echo "\(fixture.remote)/refs/heads/$(git branch --show-current).lock" > "\(lockPath).new" && mv "\(lockPath).new" "\(lockPath)"
            \(fixture.waitForGate)
            """
        let tasks = try fixture.remoteTasksFile(["t1"], command: command)
        let coordinator = try fixture.startCoordinator("lk", tasksFile: tasks, workers: 1, extra: ["--retries", "0"])
        defer { coordinator.stop(grace: 5) }
        #expect(await eventually(timeout: 60) { FileManager.default.fileExists(atPath: lockPath) }, "\(coordinator.output)")
        let lock = try String(contentsOfFile: lockPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        try FileManager.default.createDirectory(atPath: (lock as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: lock, contents: nil))
        let holder = try BackgroundProcess(["sh", "-c", "while [ -e '\(lock)' ]; do touch '\(lock)'; sleep 0.2; done"])
        defer { holder.stop(grace: 1) }
        fixture.openGate()
        let status = await fixture.exitStatus(of: coordinator, timeout: 120)
        holder.stop(grace: 1)

        #expect(status == 1, "\(coordinator.output)")
        let result = try #require(try fixture.results(batch: "lk").first?["result"] as? [String: Any], "\(coordinator.output)")
        let error = result["error"] as? String ?? ""
        #expect(!error.contains("moved"), "\(error)")
        #expect(error.contains("the remote refused") && error.contains(lock), "\(result)")
        #expect(error.contains("the task's commits stay on this host"), "\(error)")
        #expect(!error.contains("kept moving"), "\(error)")
        #expect(try fixture.remoteBranches(batch: "lk").isEmpty, "nothing was pushed")
    }
}
