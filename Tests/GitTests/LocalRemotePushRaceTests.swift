import Dispatch
import Foundation
import Git
import Synchronization
import Testing
import TestSupport

/// Pushes to a remote named by a path or a `file://` URL (libgit2's local transport) never
/// overwrite a branch that another push moved after this one looked at it: the update applies
/// only if the branch is still where it was, as git's receive-pack does over git://, ssh and https.
///
/// The race is forced through the `progress` callback: libgit2 calls it while it copies the
/// objects, after it has read the remote's branches and before it updates one.
@Suite(.timeLimit(.minutes(3))) struct LocalRemotePushRaceTests {
    /// Pushes `branch` of the fixture while `other` pushes the same branch, between the moment
    /// the push read the remote and the moment it updates it.
    private func pushOvertaken(_ remote: LocalRemote, branch: String) throws -> PushResult {
        let repository = try Repository.open(at: remote.fixture.path)
        var raced = false
        var raceFailure: (any Error)?
        let result = try repository.push(branch: branch, toRemote: "origin") { _ in
            guard !raced else { return }
            raced = true
            do { try remote.fixture.git(["push", "-q", "origin", branch], in: remote.other) } catch { raceFailure = error }
        }
        #expect(raced, "the push reported no progress, so the race did not happen")
        #expect(raceFailure == nil, "the other host's push failed: \(String(describing: raceFailure))")
        return result
    }

    /// Expects `result` to be a rejection because the remote moved, with the remote's `feature`
    /// still at the other host's commit `theirs` and no temporary reference left.
    private func expectRejected(_ result: PushResult, leaving theirs: String, on remote: LocalRemote) throws {
        guard case .rejected(_, remoteMoved: true) = result.status else {
            Issue.record("expected a rejection because the remote moved, got \(result.status)")
            return
        }
        #expect(try remote.remoteTip("feature") == theirs, "the other host's commit was overwritten")
        #expect(try remote.strayReferences() == [])
    }

    @Test(arguments: [false, true]) func aPushOvertakenBeforeItsUpdateIsRejectedAndLosesNothing(fileURL: Bool) throws {
        let remote = try LocalRemote(fileURL: fileURL)
        let base = try remote.commit("base", on: "feature", in: remote.fixture.path, from: "main")
        try remote.fixture.git(["push", "-q", "origin", "feature"])
        let theirs = try remote.commit("theirs", on: "feature", in: remote.other, from: base)
        try remote.commit("ours", on: "feature", in: remote.fixture.path)

        try expectRejected(pushOvertaken(remote, branch: "feature"), leaving: theirs, on: remote)
    }

    @Test(arguments: [false, true]) func aNewBranchAnotherPushCreatedMeanwhileIsNotOverwritten(fileURL: Bool) throws {
        let remote = try LocalRemote(fileURL: fileURL)
        try remote.commit("ours", on: "feature", in: remote.fixture.path, from: "main")
        let theirs = try remote.commit("theirs", on: "feature", in: remote.other, from: "origin/main")

        try expectRejected(pushOvertaken(remote, branch: "feature"), leaving: theirs, on: remote)
    }

    @Test(arguments: [false, true]) func createsFastForwardsAndLeavesNoTemporaryReference(fileURL: Bool) throws {
        let remote = try LocalRemote(fileURL: fileURL)
        let first = try remote.commit("first", on: "conductor/b/w0", in: remote.fixture.path, from: "main")
        let repository = try Repository.open(at: remote.fixture.path)

        #expect(try repository.push(branch: "conductor/b/w0", toRemote: "origin").status == .pushed(previous: nil))
        let second = try remote.commit("second", on: "conductor/b/w0", in: remote.fixture.path)
        let result = try repository.push(branch: "conductor/b/w0", toRemote: "origin")

        #expect(result.status == .pushed(previous: try ObjectID(hex: first)))
        #expect(try remote.remoteTip("conductor/b/w0") == second)
        #expect(try remote.fixture.revParse("refs/remotes/origin/conductor/b/w0") == second)
        #expect(try repository.push(branch: "conductor/b/w0", toRemote: "origin").status == .upToDate)
        #expect(try remote.strayReferences() == [])
    }

    @Test func aRemoteWithAWorkingDirectoryIsRefusedNamingTheFix() throws {
        let remote = try LocalRemote(fileURL: false)
        try remote.fixture.git(["remote", "set-url", "origin", remote.other])
        try remote.commit("ours", on: "feature", in: remote.fixture.path, from: "main")
        let repository = try Repository.open(at: remote.fixture.path)

        let error = #expect(throws: GitError.self) { try repository.push(branch: "feature", toRemote: "origin") }
        #expect(error?.message.contains("is not a bare repository") == true)
        #expect(error?.message.contains("git init --bare") == true)
        #expect(try run(["git", "rev-parse", "--verify", "-q", "refs/heads/feature"], in: remote.other).status != 0)
    }

    /// Hosts push one branch at once, each fetching and committing again when it was refused:
    /// every push reported done is in the final history, and nothing else is.
    @Test func concurrentPushesFromManyHostsLoseNoCommit() async throws {
        let remote = try LocalRemote(fileURL: false)
        let base = try remote.commit("base", on: "feature", in: remote.fixture.path, from: "main")
        try remote.fixture.git(["push", "-q", "origin", "feature"])
        let hosts = 4, pushesEach = 6
        let clones = try remote.hostClones(hosts)
        let pushed = Mutex<[String]>([])
        let failures = Mutex<[String]>([])

        try await offThePool {
            DispatchQueue.concurrentPerform(iterations: hosts) { host in
                do {
                    let repository = try Repository.open(at: clones[host])
                    for round in 0..<pushesEach {
                        var attempt = 0
                        while true {
                            attempt += 1
                            let sha = try remote.commit("h\(host)-\(round)-\(attempt)", on: "feature", in: clones[host], from: "origin/feature")
                            let result = try repository.push(branch: "feature", toRemote: "origin")
                            if case .pushed = result.status {
                                pushed.withLock { $0.append(sha) }
                                break
                            }
                            guard case .rejected(_, remoteMoved: true) = result.status else {
                                throw GitError(code: -1, message: "unexpected \(result.status)", operation: "push")
                            }
                        }
                    }
                } catch {
                    failures.withLock { $0.append("host \(host): \(error)") }
                }
            }
        }

        #expect(failures.withLock { $0 } == [])
        let tip = try #require(try remote.remoteTip("feature"))
        let done = pushed.withLock { $0 }
        #expect(done.count == hosts * pushesEach)
        for sha in done {
            #expect(try remote.remoteHas(sha, in: tip), "a pushed commit, \(sha), was lost")
        }
        let count = try remote.fixture.git(["--git-dir", remote.bare, "rev-list", "--count", "\(base)..\(tip)"])
        #expect(Int(count.trimmingCharacters(in: .whitespacesAndNewlines)) == hosts * pushesEach)
        #expect(try remote.strayReferences() == [])
    }
}
