import Conductor
import Foundation
import Postgres
import PostgresQueue
import Testing
import TestSupport

/// `conductor prune` of a batch run on a PostgreSQL queue also deletes the batch's branches on
/// the remote, by the local rules: work not in the base is kept unless --force; and it removes
/// the local workers' clones once their work is on the remote.
@Suite(.serialized, .timeLimit(.minutes(4)), .disabled(if: PostgresServer.unavailable != nil, "\(PostgresServer.unavailable ?? "")"))
struct RemoteBatchPruneTests {
    @Test func unmergedRemoteBranchesAreKeptAndMergedOnesDeleted() async throws {
        let fixture = try await RemoteWorkerFixture.make()
        let tasks = try fixture.remoteTasksFile(["t1", "t2"], command: #"echo "$CONDUCTOR_TASK_ID" > "$CONDUCTOR_TASK_ID.txt""#)
        let coordinator = try fixture.startCoordinator("pr", tasksFile: tasks, workers: 1)
        #expect(await fixture.exitStatus(of: coordinator, timeout: 120) == 0, "\(coordinator.output)")
        let branches = try fixture.remoteBranches(batch: "pr")
        #expect(branches.count == 1, "\(branches)")

        let kept = try await offThePool { try run([Binaries.conductor, "prune", "pr", "-d", fixture.store], environment: fixture.coordinatorEnvironment) }
        #expect(kept.status == 1, "\(kept.stdout) \(kept.stderr)")
        for branch in branches { #expect(kept.stdout.contains("kept remote branch \(branch): 2 commit(s) not in main"), "\(kept.stdout)") }
        #expect(try fixture.remoteBranches(batch: "pr") == branches)
        // The local workers' clones hold nothing the remote lacks: they go, as the queue does.
        #expect(kept.stdout.contains("removed the local workers \(fixture.store)/pr/workers"), "\(kept.stdout)")
        #expect(FileManager.default.fileExists(atPath: "\(fixture.store)/pr/batch.json"))

        for branch in branches { try fixture.source.git(["merge", "-q", "--no-edit", branch]) }
        try fixture.source.git(["push", "-q", "origin", "main"])
        let pruned = try await offThePool { try run([Binaries.conductor, "prune", "pr", "-d", fixture.store], environment: fixture.coordinatorEnvironment) }
        #expect(pruned.status == 0, "\(pruned.stdout) \(pruned.stderr)")
        for branch in branches { #expect(pruned.stdout.contains("deleted remote branch \(branch): merged into main"), "\(pruned.stdout)") }
        #expect(try fixture.remoteBranches(batch: "pr").isEmpty)
        #expect(try fixture.source.git(["branch", "--list", "conductor/pr/*"]).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: "\(fixture.store)/pr"))
    }

    @Test func forceDeletesUnmergedRemoteBranchesAndTheLocalWorkers() async throws {
        let fixture = try await RemoteWorkerFixture.make()
        let tasks = try fixture.remoteTasksFile(["t1"], command: "echo one > t1.txt")
        let coordinator = try fixture.startCoordinator("pf", tasksFile: tasks, workers: 1)
        #expect(await fixture.exitStatus(of: coordinator, timeout: 120) == 0, "\(coordinator.output)")
        let branch = try #require(try fixture.remoteBranches(batch: "pf").first)
        let dry = try await offThePool { try run([Binaries.conductor, "prune", "pf", "-d", fixture.store, "--force", "--dry-run"], environment: fixture.coordinatorEnvironment) }
        #expect(dry.stdout.contains("would delete remote branch \(branch): forced: drops 1 commit(s) not in main"), "\(dry.stdout) \(dry.stderr)")
        #expect(try fixture.remoteBranches(batch: "pf") == [branch])
        let forced = try await offThePool { try run([Binaries.conductor, "prune", "pf", "-d", fixture.store, "--force"], environment: fixture.coordinatorEnvironment) }
        #expect(forced.status == 0, "\(forced.stdout) \(forced.stderr)")
        #expect(try fixture.remoteBranches(batch: "pf").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: "\(fixture.store)/pf"))
    }

    /// A lock file on a remote branch (`<branch>.lock`, left by a killed push or held by another
    /// tool) is not a branch that moved: while it is in use prune fails naming it, and once it is
    /// left unchanged prune removes it and deletes the branch.
    @Test func aLockOnARemoteBranchIsNamedWhileInUseAndRemovedOnceStale() async throws {
        let fixture = try await RemoteWorkerFixture.make()
        let tasks = try fixture.remoteTasksFile(["t1"], command: "echo one > t1.txt")
        let coordinator = try fixture.startCoordinator("pl", tasksFile: tasks, workers: 1)
        #expect(await fixture.exitStatus(of: coordinator, timeout: 120) == 0, "\(coordinator.output)")
        let branch = try #require(try fixture.remoteBranches(batch: "pl").first)
        let lock = "\(fixture.remote)/refs/heads/\(branch).lock"
        #expect(FileManager.default.createFile(atPath: lock, contents: nil))
        let holder = try BackgroundProcess(["sh", "-c", "while [ -e '\(lock)' ]; do touch '\(lock)'; sleep 0.2; done"])
        defer { holder.stop(grace: 1) }

        let blocked = try await offThePool { try run([Binaries.conductor, "prune", "pl", "-d", fixture.store, "--force"], environment: fixture.coordinatorEnvironment) }
        #expect(blocked.status != 0, "\(blocked.stdout) \(blocked.stderr)")
        #expect(blocked.stdout.contains(lock), "\(blocked.stdout) \(blocked.stderr)")
        #expect(!blocked.stdout.contains("moved since prune judged it"), "\(blocked.stdout)")
        #expect(try fixture.remoteBranches(batch: "pl") == [branch])

        holder.stop(grace: 1)
        let pruned = try await offThePool { try run([Binaries.conductor, "prune", "pl", "-d", fixture.store, "--force"], environment: fixture.coordinatorEnvironment) }
        #expect(pruned.status == 0, "\(pruned.stdout) \(pruned.stderr)")
        #expect(try fixture.remoteBranches(batch: "pl").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: lock))
    }
}
