import Conductor
import Foundation
import PostgresQueue
import Testing
import TestSupport

/// A remote worker's host in trouble: a host `kill -9`-ed mid-fetch comes back with git's lock
/// files left in its clone; a host that cannot reach the remote gives its task back instead of
/// failing it; two workers never share one directory.
@Suite(.serialized, .timeLimit(.minutes(4)), .disabled(if: PostgresServer.unavailable != nil, "\(PostgresServer.unavailable ?? "")"))
struct RemoteWorkerRecoveryTests {
    @Test func aHostKilledMidFetchComesBackWithoutTheLockFilesItLeftInItsClone() async throws {
        let fixture = try await RemoteWorkerFixture.make()
        try await killHostAfterItsFirstTask(in: fixture)
        // What a fetch killed half way leaves: the locks of the files it was rewriting.
        let gitDirectory = try clone(of: "host-1", in: fixture) + "/.git"
        let leftovers = ["FETCH_HEAD.lock", "refs/remotes/origin/conductor/b1/host-1.lock", "packed-refs.lock"]
        for leftover in leftovers { #expect(FileManager.default.createFile(atPath: "\(gitDirectory)/\(leftover)", contents: nil)) }

        try fixture.submit(batch: "b1", ["t2"], command: "echo two > t2.txt")
        let again = try fixture.startHost("host-1")
        #expect(try await eventually(timeout: 60) { try fixture.finished(batch: "b1") }, "\(again.output)")
        let rows = try fixture.queue.rows(batch: "b1")
        #expect(rows.map(\.state) == [.done, .done], "\(rows.map { $0.result ?? "" })")
        #expect(leftovers.allSatisfy { !FileManager.default.fileExists(atPath: "\(gitDirectory)/\($0)") })
        #expect(again.output.contains("removed 3 lock file(s) a stopped worker left"), "\(again.output)")
        #expect(try await fixture.close().values.allSatisfy { $0 == 0 })
    }

    /// Over a path remote the host moves its branch on the remote itself, under the branch's lock
    /// file: a host killed in that moment leaves the lock there. In `make chaos` the host, started
    /// again, failed each of its next 62 tasks as "locked by another push".
    @Test func aHostKilledMidPushComesBackAndPushesPastTheLockItLeftOnTheRemote() async throws {
        let fixture = try await RemoteWorkerFixture.make()
        try await killHostAfterItsFirstTask(in: fixture)
        // What a push killed while it moved the branch leaves, a few seconds before the host is back.
        let lock = fixture.remote + "/refs/heads/conductor/b1/host-1.lock"
        try "0000000000000000000000000000000000000000\n".write(toFile: lock, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-5)], ofItemAtPath: lock)

        try fixture.submit(batch: "b1", ["t2"], command: "echo two > t2.txt")
        let again = try fixture.startHost("host-1")
        #expect(try await eventually(timeout: 60) { try fixture.finished(batch: "b1") }, "\(again.output)")
        let rows = try fixture.queue.rows(batch: "b1")
        #expect(rows.map(\.state) == [.done, .done], "\(rows.map { $0.result ?? "" })")
        #expect(try fixture.remoteCommitCounts(batch: "b1") == ["t1": 1, "t2": 1])
        #expect(!FileManager.default.fileExists(atPath: lock))
        #expect(again.output.contains("removed \(lock) on the remote"), "\(again.output)")
        #expect(try await fixture.close().values.allSatisfy { $0 == 0 })
    }

    @Test func aWorkerStartingInAKilledWorkersDirectoryEndsTheTasksThatOneLeftRunning() async throws {
        let fixture = try await RemoteWorkerFixture.make()
        let (host, taskPid) = try await fixture.hostRunningAWaitingTask()
        host.signal(SIGKILL)
        #expect(await fixture.exitStatus(of: host) != nil)
        #expect(processIsAlive(taskPid), "the task's process died with its worker: nothing to test")
        // Its successor in that directory must not share the checkout with a task still writing there.
        let again = try fixture.startHost("host-1")
        #expect(await eventually(timeout: 60) { again.output.contains("serving") }, "\(again.output)")
        #expect(await eventually(timeout: 30) { !processIsAlive(taskPid) }, "the killed worker's task still runs: \(again.output)")
        #expect(again.output.contains("task process(es) a stopped worker left running"), "\(again.output)")
        #expect(try await fixture.close() == ["host-1": 0])
    }

    @Test func aHostThatCannotReachTheRemoteGivesItsTaskBackForAnotherHost() async throws {
        let fixture = try await RemoteWorkerFixture.make()
        try fixture.submit(batch: "b1", ["t1"], command: "echo one > t1.txt")
        // This host's git sends the remote's URL somewhere that does not exist.
        let home = fixture.scratch.appending("hosts/cut-off/home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        try "[url \"/nowhere/remote.git\"]\n\tinsteadOf = \(fixture.remote)\n".write(toFile: home + "/.gitconfig", atomically: true, encoding: .utf8)
        let cutOff = try fixture.startHost("cut-off")
        #expect(await eventually(timeout: 60) { cutOff.output.contains("given back") }, "\(cutOff.output)")
        let healthy = try fixture.startHost("healthy")
        #expect(try await eventually(timeout: 120) { try fixture.finished(batch: "b1") }, "\(cutOff.output)\n\(healthy.output)")
        let row = try #require(try fixture.queue.rows(batch: "b1").first)
        #expect(row.state == .done && row.claimedBy == "healthy", "\(row)")
        let journal = try fixture.queue.journal(batch: "b1")
        #expect(journal.contains { $0.event == "released" && $0.worker == "cut-off" }, "\(journal)")
        #expect(!journal.contains { $0.event == "failed" }, "\(journal)")
        #expect(cutOff.output.contains("could not prepare its checkout"), "\(cutOff.output)")
        #expect(try fixture.remoteCommitCounts(batch: "b1") == ["t1": 1])
        #expect(try await fixture.close().values.allSatisfy { $0 == 0 })
    }

    @Test func anAgentThatHitsARateLimitGivesItsTaskBackAndItRunsAgainLater() async throws {
        let fixture = try await RemoteWorkerFixture.make()
        // The stand-in agent reports a rate limit the first time it gets this prompt.
        try RemoteTask.submit([TaskSpec.prompt("[[rate-limit 1]] add a note", id: "t1")], batch: "b1", remote: fixture.remote,
                              base: fixture.base, to: fixture.queue)
        let state = fixture.scratch.appending("agent-state")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let host = try fixture.startHost("host-1", environment: ["CONDUCTOR_AGENT_CMD": Binaries.fakeClaudeCommand, "FAKE_CLAUDE_STATE": state])
        #expect(try await eventually(timeout: 90) { try fixture.finished(batch: "b1") }, "\(host.output)")
        let row = try #require(try fixture.queue.rows(batch: "b1").first)
        #expect(row.state == .done && row.attempts == 2, "\(row)")
        #expect(try fixture.queue.journal(batch: "b1").map(\.event) == ["submit", "claim", "released", "claim", "done"])
        #expect(host.output.contains("the agent hit a rate or usage limit"), "\(host.output)")
        #expect(host.output.contains("waiting 5 s before claiming again"), "\(host.output)")
        #expect(try await fixture.close() == ["host-1": 0])
    }

    @Test func aSecondWorkerOnTheSameDirectoryIsRefusedWithTheHolderNamed() async throws {
        let fixture = try await RemoteWorkerFixture.make()
        let first = try fixture.startHost("hostA-0")
        #expect(await eventually(timeout: 60) { first.output.contains("serving") }, "\(first.output)")
        let directory = fixture.scratch.appending("hosts/hostA-0/work")
        let second = try run([Binaries.conductor, "worker", "hostB-0", directory, "--queue", fixture.url], timeout: 60)
        #expect(second.status != 0)
        #expect(second.stderr.contains("\(directory) is used by another live worker (pid \(first.process.processIdentifier))"), "\(second.stderr)")
        #expect(second.stderr.contains("give each worker a directory of its own"), "\(second.stderr)")
        #expect(await fixture.stopHosts() == ["hostA-0": 0])
        #expect(try await fixture.close() == ["hostA-0": 0])
    }

    /// Runs task t1 of batch b1 on host `host-1`, then kills the host with SIGKILL.
    private func killHostAfterItsFirstTask(in fixture: RemoteWorkerFixture) async throws {
        try fixture.submit(batch: "b1", ["t1"], command: "echo one > t1.txt")
        let host = try fixture.startHost("host-1")
        #expect(try await eventually(timeout: 60) { try fixture.finished(batch: "b1") }, "\(host.output)")
        host.signal(SIGKILL)
        #expect(await fixture.exitStatus(of: host) != nil)
    }

    /// The clone host `name` keeps of the fixture's remote.
    private func clone(of name: String, in fixture: RemoteWorkerFixture) throws -> String {
        let work = fixture.scratch.appending("hosts/\(name)/work")
        let entries = try FileManager.default.contentsOfDirectory(atPath: work).filter { FileManager.default.fileExists(atPath: "\(work)/\($0)/clone/.git") }
        return "\(work)/\(try #require(entries.first))/clone"
    }
}
