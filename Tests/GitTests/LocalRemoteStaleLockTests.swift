import Foundation
import Git
import Testing
import TestSupport

/// A push to a path remote moves the branch itself, under the branch's lock file (`<ref>.lock`
/// in the remote). A host `kill -9`-ed in that moment leaves the lock behind, and every later
/// push of that branch was refused as "locked by another push": in `make chaos` a restarted host
/// failed each of its next 62 tasks so. A push now waits for a lock's holder, removes a lock no
/// process has touched for `staleReferenceLockAge` seconds, and never removes one that is in use.
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

    /// Writes a lock file at `path`, as a ref update leaves it, last modified `age` seconds ago.
    private func leaveLock(at path: String, age: TimeInterval) throws {
        try "0000000000000000000000000000000000000000\n".write(toFile: path, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-age)], ofItemAtPath: path)
    }

    /// A lock an hour old, and one a killed push left just before its host came back (its age
    /// reaches the limit while the push waits).
    @Test(arguments: [3600, Repository.staleReferenceLockAge - 2])
    func aLockAKilledPushLeftIsRemovedOnceStaleAndThePushLands(age: TimeInterval) throws {
        let (remote, lock, ours) = try remoteWithAPushPending()
        try leaveLock(at: lock, age: age)

        let result = try Repository.open(at: remote.fixture.path).push(branch: "feature", toRemote: "origin")

        #expect(result.status == .pushed(previous: try ObjectID(hex: try #require(try remote.fixture.revParse("feature~1")))))
        #expect(try remote.remoteTip("feature") == ours)
        #expect(!FileManager.default.fileExists(atPath: lock))
        #expect(result.removedStaleLock == lock)
    }

    /// Its holder is a process of its own (Swift's task pool may not run a task of the test's for
    /// seconds while other tests take the cores, and the lock would then look abandoned).
    @Test func aLockItsHolderReleasesIsWaitedForAndLeftToIt() async throws {
        let (remote, lock, ours) = try remoteWithAPushPending()
        try leaveLock(at: lock, age: 0)
        let holder = try BackgroundProcess(["sh", "-c", "sleep 0.5; rm '\(lock)'"])
        defer { holder.stop(grace: 1) }

        let result = try await offThePool { try Repository.open(at: remote.fixture.path).push(branch: "feature", toRemote: "origin") }

        #expect(holder.waitForExit(timeout: 30) == 0, "the holder could not remove its lock: the push had")
        #expect(result.status != .upToDate)
        if case .rejected = result.status { Issue.record("the push did not wait for the lock's holder: \(result.status)") }
        #expect(try remote.remoteTip("feature") == ours)
        #expect(result.removedStaleLock == nil)
    }

    /// A lock its holder keeps writing is in use, however long: the push gives up, names the
    /// file, and leaves the lock and the branch alone.
    @Test func aLockInUseIsNeverRemoved() async throws {
        let (remote, lock, _) = try remoteWithAPushPending()
        let before = try remote.remoteTip("feature")
        try leaveLock(at: lock, age: 0)
        let holder = try BackgroundProcess(["sh", "-c", "while [ -e '\(lock)' ]; do touch '\(lock)'; sleep 0.2; done"])
        defer { holder.stop(grace: 1) }

        let result = try await offThePool { try Repository.open(at: remote.fixture.path).push(branch: "feature", toRemote: "origin") }

        guard case .rejected(let reason, remoteMoved: true) = result.status else {
            Issue.record("expected a rejection for the lock, got \(result.status)")
            return
        }
        #expect(reason.contains(lock), "\(reason)")
        #expect(FileManager.default.fileExists(atPath: lock))
        #expect(try remote.remoteTip("feature") == before)
        #expect(result.removedStaleLock == nil)
    }
}
