import Conductor
import Foundation
import PostgresQueue
import Testing
import TestSupport

/// A worker retrying a task fences the branch of the task's earlier holder. When that holder's
/// name was taken again by a live worker (a host restarted under its name), the branch keeps
/// moving with that worker's own tasks and the fence loses every race: the branch's new commits
/// block a late push of the old attempt as well as a fence would, so the task runs.
@Suite(.serialized, .timeLimit(.minutes(4)), .disabled(if: PostgresServer.unavailable != nil, "\(PostgresServer.unavailable ?? "")"))
struct RemoteFenceRaceTests {
    @Test func aRetryRunsWhenItsEarlierHoldersBranchKeepsMovingWithOtherWork() async throws {
        let fixture = try await RemoteWorkerFixture.make()
        let (daemon, url) = try await fixture.serveRemoteOverGitDaemon()
        defer { daemon.stop(grace: 2) }
        // On the remote, every fence pushed onto ghost-0's branch finds it moved just before by a
        // commit of ghost-0's own (its live successor pushing another task), so the fence is refused.
        let branch = "refs/heads/conductor/b1/ghost-0"
        let moves = fixture.scratch.appending("moves")
        let hook = fixture.remote + "/hooks/pre-receive"
        try writeExecutable("""
            #!/bin/sh
            while read old new ref; do
                [ "$ref" = "\(branch)" ] && git cat-file commit "$new" | grep -q '^Conductor-Fence:' || continue
                (
                    unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES
                    tip=$(git rev-parse -q --verify "\(branch)" || echo \(fixture.base))
                    moved=$(git commit-tree "$tip^{tree}" -p "$tip" -m "ghost-0: another task of its own")
                    git update-ref "\(branch)" "$moved" && echo "$moved" >> '\(moves)'
                )
            done
            exit 0
            """, to: hook)
        let host = try await retryGhostsTask(in: fixture, remote: url, hook: hook)
        let raced = ((try? String(contentsOfFile: moves, encoding: .utf8)) ?? "").split(separator: "\n").count
        #expect(raced >= 1, "the fence never raced with ghost-0's branch: \(host.output)")
        #expect(try await fixture.close() == ["host-1": 0])
    }

    @Test func aRetryWhoseFenceTheRemoteRefusesGivesTheTaskBackAndRunsItLater() async throws {
        let fixture = try await RemoteWorkerFixture.make()
        let (daemon, url) = try await fixture.serveRemoteOverGitDaemon()
        defer { daemon.stop(grace: 2) }
        // The remote declines the first fence pushed onto ghost-0's branch (as a remote that is
        // briefly unreachable or out of space would), and takes the next.
        let refusals = fixture.scratch.appending("refusals")
        let hook = fixture.remote + "/hooks/pre-receive"
        try writeExecutable("""
            #!/bin/sh
            while read old new ref; do
                [ "$ref" = refs/heads/conductor/b1/ghost-0 ] && [ ! -e '\(refusals)' ] || continue
                touch '\(refusals)'; echo "no room for the fence just now" >&2; exit 1
            done
            exit 0
            """, to: hook)
        let host = try await retryGhostsTask(in: fixture, remote: url, hook: hook)
        #expect(FileManager.default.fileExists(atPath: refusals), "the remote never refused a fence: \(host.output)")
        #expect(try fixture.queue.journal(batch: "b1").contains { $0.event == "released" && $0.worker == "host-1" })
        #expect(try await fixture.close() == ["host-1": 0])
    }

    /// With `hook` the remote's pre-receive hook, submits t1 of batch b1 to `remote`, has ghost-0
    /// claim it and lose its lease at once, and runs host-1, which retries it; expects t1 done by
    /// host-1 with one commit on the remote. Returns host-1.
    private func retryGhostsTask(in fixture: RemoteWorkerFixture, remote: String, hook: String) async throws -> BackgroundProcess {
        try RemoteTask.submit([TaskSpec.command("echo one > t1.txt", id: "t1")], batch: "b1", remote: remote, base: fixture.base, to: fixture.queue)
        #expect(try fixture.queue.claim(worker: "ghost-0", lease: 0)?.attempt == 1)
        let host = try fixture.startHost("host-1")
        #expect(try await eventually(timeout: 90) { try fixture.finished(batch: "b1") }, "\(host.output)")
        let row = try #require(try fixture.queue.rows(batch: "b1").first)
        #expect(row.state == .done && row.claimedBy == "host-1", "\(row.result ?? "")")
        #expect(try fixture.remoteCommitCounts(batch: "b1") == ["t1": 1])
        return host
    }
}
