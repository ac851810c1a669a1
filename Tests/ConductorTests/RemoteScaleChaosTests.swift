import Conductor
import Foundation
import Postgres
import PostgresQueue
import Testing
import TestSupport

/// The remote chaos run at scale: 1,000 command tasks (300 on a directory queue) over 8 hosts sharing only a
/// queue (PostgreSQL, or a directory) and a bare remote, while hosts are `kill -9`-ed at random and started again
/// under the same name. The figures come from the evidence: the queue's rows and journal, and the
/// commits and files on the remote. The kills follow a seed printed first
/// (`CONDUCTOR_CHAOS_SEED=N` replays the same victims and intervals; task timing still varies).
///
/// It runs three times: the hosts reach the remote through `git daemon` (git://, `git
/// receive-pack` on the far side, as over ssh and https), then as a path (libgit2's local
/// transport, whose branch updates conductor makes itself, compare-and-swap), both on PostgreSQL;
/// then through `git daemon` on a directory queue (`file:///…`), whose files a killed host may
/// leave mid-change. It is part of `make chaos` (`CONDUCTOR_CHAOS=1`).
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["CONDUCTOR_CHAOS"] == "1"), .timeLimit(.minutes(15)),
       .disabled(if: PostgresServer.unavailable != nil, "\(PostgresServer.unavailable ?? "")"))
struct RemoteScaleChaosTests {
    /// Tasks per run: fewer on a directory queue, whose every claim rewrites the batch's file
    /// (a claim and its completion cost about 60 ms at 1,000 tasks: 1,000 tasks took 8.6 minutes).
    static func taskCount(on queue: RemoteWorkerFixture.QueueKind) -> Int { queue == .postgres ? 1000 : 300 }
    static let hostNames = (1...8).map { "host\($0)-0" }
    static let maximumKills = 10

    @Test(arguments: [("git daemon", RemoteWorkerFixture.QueueKind.postgres), ("path", .postgres), ("git daemon", .directory)])
    func aThousandTasksOverEightHostsKilledAtRandomAreEachCommittedAndRecordedOnce(remoteKind: String, queue: RemoteWorkerFixture.QueueKind) async throws {
        let label = queue == .postgres ? remoteKind : "\(remoteKind), \(queue) queue"
        let seed = ProcessInfo.processInfo.environment["CONDUCTOR_CHAOS_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0...UInt64.max)
        print("chaos remote scale (\(label)): seed \(seed) (CONDUCTOR_CHAOS_SEED=\(seed) replays the kills)")
        var random = SplitMix(state: seed)
        let fixture = try await RemoteWorkerFixture.make(queue)
        let daemon = remoteKind == "path" ? nil : try await fixture.serveRemoteOverGitDaemon()
        defer { daemon?.process.stop(grace: 2) }
        let remote = daemon?.url ?? fixture.remote
        let ids = (1...Self.taskCount(on: queue)).map { "t\($0)" }
        try RemoteTask.submit(ids.map { TaskSpec.command(#"echo "$CONDUCTOR_TASK_ID" > "$CONDUCTOR_TASK_ID.txt""#, id: $0) },
                              batch: "scale", remote: remote, base: fixture.base, to: fixture.queue)
        for name in Self.hostNames { try fixture.startHost(name, lease: 3) }

        // The killed hosts, kept so that their logs can be read at the end.
        var killed: [BackgroundProcess] = []
        while killed.count < Self.maximumKills, try !fixture.finished(batch: "scale") {
            try await Task.sleep(for: .milliseconds(Int.random(in: 1000...3000, using: &random)))
            let name = Self.hostNames[Int.random(in: 0..<Self.hostNames.count, using: &random)]
            let victim = try #require(fixture.hosts[name])
            victim.signal(SIGKILL)
            #expect(await fixture.exitStatus(of: victim, timeout: 30) != nil, "\(name) outlived kill -9")
            killed.append(victim)
            try await restart(name, in: fixture)
        }
        let finished = try await poll(timeout: 600) { try fixture.finished(batch: "scale") }
        #expect(finished, "\(fixture.hosts.mapValues { String($0.output.suffix(2000)) })")
        let statuses = await fixture.stopHosts()

        let rows = try fixture.queue.rows(batch: "scale")
        let journal = try fixture.queue.journal(batch: "scale")
        let commits = try fixture.remoteCommitCounts(batch: "scale")
        let files = try remoteFiles(batch: "scale", in: fixture)
        let done = rows.filter { $0.state == .done }
        let doneEvents = journal.filter { $0.event == "done" }.reduce(into: [String: Int]()) { $0[$1.task, default: 0] += 1 }
        let notDoneOnce = ids.filter { doneEvents[$0] != 1 }
        let notCommittedOnce = ids.filter { commits[$0] != 1 }
        let missingFiles = ids.filter { !files.contains("\($0).txt") }
        let leaked = (Array(fixture.hosts.values) + killed).filter { $0.output.contains(fixture.password) }.count
        print("chaos remote scale (\(label)): tasks \(ids.count), hosts \(Self.hostNames.count), kills \(killed.count), done (rows) \(done.count), "
              + "failed (rows) \(rows.filter { $0.state == .failed }.count), claims \(journal.filter { $0.event == "claim" }.count), "
              + "expiries \(journal.filter { $0.event == "expired" }.count), commits on the remote \(commits.values.reduce(0, +)), "
              + "tasks not done once \(notDoneOnce.count), not committed once \(notCommittedOnce.count), files missing \(missingFiles.count), "
              + "logs with the password \(leaked), seed \(seed)")

        // A quiet machine may finish the batch before the last kills: most must have been made.
        #expect(killed.count >= Self.maximumKills / 2, "the batch finished before most kills were made")
        #expect(rows.map(\.task).sorted() == ids.sorted())
        #expect(done.count == ids.count, "\(rows.filter { $0.state != .done }.prefix(5))")
        #expect(notDoneOnce.isEmpty, "journal done events not exactly one: \(notDoneOnce.prefix(20))")
        #expect(notCommittedOnce.isEmpty, "\(notCommittedOnce.prefix(20).map { "\($0): \(commits[$0] ?? 0)" })")
        #expect(missingFiles.isEmpty, "\(missingFiles.prefix(20))")
        #expect(leaked == 0, "the queue's password is in a host's log")
        #expect(statuses.values.allSatisfy { $0 == 0 }, "\(statuses)")
        _ = try await fixture.close()
    }

    /// Starts host `name` again once its killed self is gone: the server frees the name when it
    /// sees the dead host's connection close, so a start refused because the name is still held
    /// is tried again.
    private func restart(_ name: String, in fixture: RemoteWorkerFixture) async throws {
        for _ in 0..<20 {
            let host = try fixture.startHost(name, lease: 3)
            _ = await eventually(timeout: 60) { host.output.contains("serving") || !host.process.isRunning }
            if host.process.isRunning { return }
            #expect(host.output.contains("held by a live worker"), "\(name) did not start again: \(host.output)")
            try await Task.sleep(for: .milliseconds(500))
        }
        Issue.record("\(name) could not take its name back after it was killed")
    }

    /// The files of every branch of `batch` on the remote (their tips' trees).
    private func remoteFiles(batch: String, in fixture: RemoteWorkerFixture) throws -> Set<String> {
        try fixture.remoteBranches(batch: batch).reduce(into: Set<String>()) { files, branch in
            let listed = try fixture.source.git(["--git-dir", fixture.remote, "ls-tree", "-r", "--name-only", branch])
            files.formUnion(listed.split(separator: "\n").map(String.init))
        }
    }

    /// Like `eventually`, but looks every 2 s: the condition reads 1,000 rows, which the hosts'
    /// database should not be doing all the time.
    private func poll(timeout: TimeInterval, _ condition: () throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            try await Task.sleep(for: .seconds(2))
        }
        return try condition()
    }
}
