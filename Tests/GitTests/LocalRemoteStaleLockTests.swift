import Dispatch
import Foundation
@testable import Git
import Synchronization
import Testing
import TestSupport

/// A push to a path remote moves the branch itself, under the branch's lock file (`<ref>.lock`
/// in the remote). A host `kill -9`-ed in that moment leaves the lock behind, and every later
/// push of that branch was refused as "locked by another push": in `make chaos` a restarted host
/// failed each of its next 62 tasks so. A push now waits for a lock's holder, and removes a lock
/// only when no conductor process is updating the branch (each holds `ReferenceUpdateLock`
/// meanwhile, which a stopped process keeps and a dead one loses) and the file stayed the same
/// for `staleReferenceLockAge` seconds. libgit2 writes nothing to its lock until the end, so
/// neither the lock's age nor its contents could tell a dead holder from a stopped one.
///
/// Each push here blocks for seconds, so it runs off Swift's task pool (`offThePool`).
@Suite(.timeLimit(.minutes(2))) struct LocalRemoteStaleLockTests {
    /// The remote with `feature` pushed at one commit and a second commit on it locally, and the
    /// path of `feature`'s lock file on the remote.
    private func remoteWithAPushPending() throws -> (remote: LocalRemote, lock: String, ours: String) {
        let remote = try LocalRemote(fileURL: false)
        try remote.commit("first", on: "feature", in: remote.fixture.path, from: "main")
        try remote.fixture.git(["push", "-q", "origin", "feature"])
        let ours = try remote.commit("second", on: "feature", in: remote.fixture.path)
        return (remote, remote.bare + "/refs/heads/feature.lock", ours)
    }

    /// Leaves a lock file at `path` as a killed libgit2 update does: empty.
    private func leaveLock(at path: String) {
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
    }

    private func push(_ remote: LocalRemote, from checkout: String? = nil) async throws -> PushResult {
        try await offThePool { try Repository.open(at: checkout ?? remote.fixture.path).push(branch: "feature", toRemote: "origin") }
    }

    /// Deletes `feature` on the remote with the lease of commit `judged`, off the pool: deleted or
    /// moved, or the error.
    private func deleteFeature(of remote: LocalRemote, judgedAt judged: String) async throws -> Result<Bool, Error> {
        try await offThePool {
            Result { try Repository.open(at: remote.fixture.path).deleteRemoteBranch("feature", expected: ObjectID(hex: judged), onRemote: "origin") }
        }
    }

    /// Expects `outcome` to be an error whose text names `named`, and not `notNamed`.
    private func expectError(_ outcome: Result<Bool, Error>, naming named: String, notNaming notNamed: String? = nil,
                             sourceLocation: SourceLocation = #_sourceLocation) {
        switch outcome {
        case .success(let deleted): Issue.record("expected an error naming \(named), got \(deleted ? "deleted" : "moved")", sourceLocation: sourceLocation)
        case .failure(let error):
            #expect("\(error)".contains(named), "\(error)", sourceLocation: sourceLocation)
            if let notNamed { #expect(!"\(error)".contains(notNamed), "\(error)", sourceLocation: sourceLocation) }
        }
    }

    @Test func aLockAKilledPushLeftIsRemovedOnceStaleAndThePushLands() async throws {
        let (remote, lock, ours) = try remoteWithAPushPending()
        let before = try #require(try remote.remoteTip("feature"))
        leaveLock(at: lock)

        let result = try await push(remote)

        #expect(result.status == .pushed(previous: try ObjectID(hex: before)))
        #expect(try remote.remoteTip("feature") == ours)
        #expect(!FileManager.default.fileExists(atPath: lock))
        #expect(result.removedStaleLock == lock)
    }

    /// A conductor push stopped in the middle of its update (SIGSTOP, a paused VM) holds the
    /// branch's `ReferenceUpdateLock` and its lock file, however long: its lock is never taken
    /// for a dead one's. Here this test is that push: an open file description of its own holds
    /// the update lock, as another process's would.
    @Test func aConductorPushStoppedMidUpdateKeepsItsLock() async throws {
        let (remote, lock, _) = try remoteWithAPushPending()
        let before = try remote.remoteTip("feature")
        let stopped = try ReferenceUpdateLock(reference: "refs/heads/feature", inRepositoryFiles: remote.bare)
        #expect(stopped.acquire(until: .now))
        leaveLock(at: lock)

        let result = try await push(remote)

        guard case .rejected(let reason, remoteMoved: false) = result.status else {
            Issue.record("expected a rejection for the lock, got \(result.status)")
            return
        }
        #expect(reason.contains("another conductor process"), "\(reason)")
        #expect(FileManager.default.fileExists(atPath: lock))
        #expect(try remote.remoteTip("feature") == before)
        #expect(result.removedStaleLock == nil)
        stopped.release()
    }

    /// The lock's holder is a process of another tool (not holding conductor's update lock).
    @Test func aLockItsHolderReleasesIsWaitedForAndLeftToIt() async throws {
        let (remote, lock, ours) = try remoteWithAPushPending()
        leaveLock(at: lock)
        let holder = try BackgroundProcess(["sh", "-c", "sleep 1; rm '\(lock)'"])
        defer { holder.stop(grace: 1) }
        let lockedAtStart = FileManager.default.fileExists(atPath: lock)

        let result = try await push(remote)

        #expect(lockedAtStart, "the holder was done before the push began: nothing was tested")
        #expect(holder.waitForExit(timeout: 30) == 0, "the holder could not remove its lock: the push had")
        #expect(result.status != .upToDate)
        if case .rejected = result.status { Issue.record("the push did not wait for the lock's holder: \(result.status)") }
        #expect(try remote.remoteTip("feature") == ours)
        #expect(result.removedStaleLock == nil)
    }

    /// A lock file that keeps changing is in use by some process, however long: the push gives
    /// up, names the file, and leaves the lock and the branch alone.
    @Test func aLockThatKeepsChangingIsNeverRemoved() async throws {
        let (remote, lock, _) = try remoteWithAPushPending()
        let before = try remote.remoteTip("feature")
        leaveLock(at: lock)
        let holder = try BackgroundProcess(["sh", "-c", "while [ -e '\(lock)' ]; do touch '\(lock)'; sleep 0.2; done"])
        defer { holder.stop(grace: 1) }

        let result = try await push(remote)

        guard case .rejected(let reason, remoteMoved: false) = result.status else {
            Issue.record("expected a rejection for the lock, got \(result.status)")
            return
        }
        #expect(reason.contains(lock), "\(reason)")
        #expect(FileManager.default.fileExists(atPath: lock))
        #expect(try remote.remoteTip("feature") == before)
        #expect(result.removedStaleLock == nil)
    }

    /// `prune` deletes a remote batch's branches with a lease. A lock a killed push left on such a
    /// branch made the deletion report the branch as moved ("a late push; prune again"), which no
    /// number of prunes changed. The deletion now treats the lock as a push does: once stale it is
    /// removed and the branch deleted.
    @Test func aDeletionRemovesAStaleLockAndDeletesTheBranch() async throws {
        let (remote, lock, _) = try remoteWithAPushPending()
        let judged = try ObjectID(hex: try #require(try remote.remoteTip("feature")))
        leaveLock(at: lock)

        let deleted = try await offThePool {
            try Repository.open(at: remote.fixture.path).deleteRemoteBranch("feature", expected: judged, onRemote: "origin")
        }

        #expect(deleted)
        #expect(try remote.remoteTip("feature") == nil)
        #expect(!FileManager.default.fileExists(atPath: lock))
    }

    /// A lock in use by another tool is not a moved branch: the deletion fails naming the lock
    /// file, and leaves the lock and the branch alone.
    @Test func aDeletionBlockedByALockInUseNamesTheLock() async throws {
        let (remote, lock, _) = try remoteWithAPushPending()
        let before = try #require(try remote.remoteTip("feature"))
        leaveLock(at: lock)
        let holder = try BackgroundProcess(["sh", "-c", "while [ -e '\(lock)' ]; do touch '\(lock)'; sleep 0.2; done"])
        defer { holder.stop(grace: 1) }

        let outcome = try await deleteFeature(of: remote, judgedAt: before)

        expectError(outcome, naming: lock)
        #expect(FileManager.default.fileExists(atPath: lock))
        #expect(try remote.remoteTip("feature") == before)
    }

    /// A packed branch is deleted from `packed-refs` under `packed-refs.lock`, which any update
    /// of the remote's packed references takes, so no age proves it stale: the deletion gives up
    /// at its deadline naming that file, and keeps the branch. (It used to wait on the branch's
    /// own lock, which was not there, and try again on the same handle, where libgit2 1.5
    /// reported the branch deleted and left it in `packed-refs`: prune said "deleted".)
    @Test func aDeletionBlockedByPackedRefsLockNamesThatFile() async throws {
        let (remote, branchLock, _) = try remoteWithAPushPending()
        let before = try #require(try remote.remoteTip("feature"))
        try remote.fixture.git(["--git-dir", remote.bare, "pack-refs", "--all"])
        let lock = remote.bare + "/packed-refs.lock"
        leaveLock(at: lock)

        let outcome = try await deleteFeature(of: remote, judgedAt: before)

        expectError(outcome, naming: lock, notNaming: branchLock)
        #expect(FileManager.default.fileExists(atPath: lock))
        #expect(try remote.remoteTip("feature") == before)
    }

    /// A conductor push stopped in the middle of its update of the branch (SIGSTOP, a paused VM)
    /// keeps its update lock. The deletion cannot judge the branch meanwhile: it fails saying so,
    /// and keeps the branch. (It reported the branch moved, and prune said "a late push; prune
    /// again" for as long as that push stayed stopped.)
    @Test func aDeletionWhileAConductorPushIsStoppedMidUpdateSaysSo() async throws {
        let (remote, _, _) = try remoteWithAPushPending()
        let before = try #require(try remote.remoteTip("feature"))
        let stopped = try ReferenceUpdateLock(reference: "refs/heads/feature", inRepositoryFiles: remote.bare)
        #expect(stopped.acquire(until: .now))
        defer { stopped.release() }

        let outcome = try await deleteFeature(of: remote, judgedAt: before)

        expectError(outcome, naming: "another conductor process")
        #expect(try remote.remoteTip("feature") == before)
    }

    /// libgit2 drops a packed branch from its handle's cache of `packed-refs` before it writes
    /// the file again. When that write fails for a reason other than the file's lock (here the
    /// remote's directory is immutable, so `packed-refs.lock` cannot be made), the branch is
    /// still on the remote: the deletion fails, and does not ask that handle whether the branch
    /// is gone (it said so, and prune reported the branch deleted).
    @Test(.enabled(if: ImmutableDirectory.isAvailable, "making a directory immutable needs root"))
    func aDeletionWhosePackedRefsCannotBeWrittenFailsAndKeepsTheBranch() async throws {
        let (remote, _, _) = try remoteWithAPushPending()
        let before = try #require(try remote.remoteTip("feature"))
        try remote.fixture.git(["--git-dir", remote.bare, "pack-refs", "--all"])
        // As an older git wrote it, without the trait `sorted`: libgit2 then looks branches up in
        // its cache of the file instead of the file itself.
        let packedRefs = remote.bare + "/packed-refs"
        let packed = try String(contentsOfFile: packedRefs, encoding: .utf8)
        try packed.replacingOccurrences(of: " sorted", with: "").write(toFile: packedRefs, atomically: false, encoding: .utf8)
        // What the deletion makes in that directory before it changes anything: conductor's update lock.
        #expect(FileManager.default.createFile(atPath: remote.bare + "/" + ReferenceUpdateLock.fileName, contents: nil))
        let immutable = try ImmutableDirectory(remote.bare)
        defer { immutable.release() }

        let outcome = try await deleteFeature(of: remote, judgedAt: before)

        immutable.release()
        if case .success(let deleted) = outcome { Issue.record("expected an error, got \(deleted ? "deleted" : "moved")") }
        #expect(try remote.remoteTip("feature") == before)
    }

    /// After the remote branch is deleted, this repository's tracking branch goes too. Its lock is
    /// this repository's, not the remote's: held, the deletion fails at once naming it, instead of
    /// waiting for the remote's locks and blaming them.
    @Test func aLockedTrackingBranchIsNamedAsThisRepositorysOwn() async throws {
        let (remote, _, _) = try remoteWithAPushPending()
        let before = try #require(try remote.remoteTip("feature"))
        let trackingLock = remote.fixture.path + "/.git/refs/remotes/origin/feature.lock"
        leaveLock(at: trackingLock)

        let outcome = try await deleteFeature(of: remote, judgedAt: before)

        expectError(outcome, naming: trackingLock, notNaming: remote.bare)
        #expect(try remote.remoteTip("feature") == nil, "the remote branch itself is deleted")
    }

    /// Two pushes find one stale lock at once, each with a commit of its own for the branch: one
    /// removes it and lands its commit, the other is refused as the branch moved; neither
    /// removes the other's lock in the middle of its update. (Two threads of this process, each
    /// with its own repository handle and update lock: it passes without the update lock too,
    /// as the race between two removals is a matter of microseconds.)
    @Test func twoPushesFindingOneStaleLockLandOneCommitAndRejectTheOther() async throws {
        let (remote, lock, ours) = try remoteWithAPushPending()
        let other = try remote.commit("other", on: "feature", in: remote.other, from: "origin/feature")
        leaveLock(at: lock)
        let results = Mutex<[Int: PushResult]>([:])
        let failures = Mutex<[String]>([])
        let checkouts = [remote.fixture.path, remote.other]

        try await offThePool {
            DispatchQueue.concurrentPerform(iterations: 2) { host in
                do {
                    let result = try Repository.open(at: checkouts[host]).push(branch: "feature", toRemote: "origin")
                    results.withLock { $0[host] = result }
                } catch {
                    failures.withLock { $0.append("host \(host): \(error)") }
                }
            }
        }

        #expect(failures.withLock { $0 } == [])
        let statuses = results.withLock { $0 }.mapValues(\.status)
        let landed = statuses.filter { if case .pushed = $0.value { true } else { false } }.map(\.key)
        #expect(landed.count == 1, "\(statuses)")
        #expect(statuses.values.filter { $0 == .upToDate }.isEmpty, "\(statuses)")
        let tip = try remote.remoteTip("feature")
        #expect(tip == (landed.first == 0 ? ours : other), "the branch holds neither push's commit as reported: \(statuses)")
        #expect(!FileManager.default.fileExists(atPath: lock))
        #expect(results.withLock { $0 }.values.compactMap(\.removedStaleLock) == [lock])
    }
}
