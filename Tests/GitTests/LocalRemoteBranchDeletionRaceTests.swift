import Dispatch
import Foundation
import Git
import Synchronization
import Testing
import TestSupport

/// Deleting a branch on a remote named by a path or a `file://` URL (libgit2's local transport)
/// deletes only the commit the caller judged: a push that moved the branch in the meantime keeps it.
@Suite(.timeLimit(.minutes(3))) struct LocalRemoteBranchDeletionRaceTests {
    @Test(arguments: [false, true]) func deletesOnlyTheJudgedTipAndItsRemoteTrackingBranch(fileURL: Bool) throws {
        let remote = try LocalRemote(fileURL: fileURL)
        let judged = try remote.commit("judged", on: "feature", in: remote.fixture.path, from: "main")
        try remote.fixture.git(["push", "-q", "origin", "feature"])
        let repository = try Repository.open(at: remote.fixture.path)
        let stale = try ObjectID(hex: try remote.fixture.revParse("main"))

        #expect(try !repository.deleteRemoteBranch("feature", expected: stale, onRemote: "origin"))
        #expect(try remote.remoteTip("feature") == judged)
        #expect(try repository.deleteRemoteBranch("feature", expected: ObjectID(hex: judged), onRemote: "origin"))
        #expect(try remote.remoteTip("feature") == nil)
        #expect(try run(["git", "rev-parse", "--verify", "-q", "refs/remotes/origin/feature"], in: remote.fixture.path).status != 0)
        #expect(try repository.deleteRemoteBranch("feature", expected: ObjectID(hex: judged), onRemote: "origin"))
        #expect(try remote.strayReferences() == [])
    }

    /// A deletion of the judged tip and another host's fast-forward push of the same branch run
    /// at once, many times with the push started at varying moments: whenever the push reports
    /// its commit pushed, the branch still holds it.
    @Test(arguments: [false, true]) func aDeletionRacingAPushNeverDeletesThePushedCommit(fileURL: Bool) async throws {
        let remote = try LocalRemote(fileURL: fileURL)
        let judged = try remote.commit("judged", on: "feature", in: remote.fixture.path, from: "main")
        try remote.fixture.git(["push", "-q", "origin", "feature"])
        let late = try remote.commit("late", on: "feature", in: remote.other, from: "origin/feature")
        let expected = try ObjectID(hex: judged)
        let losses = Mutex<[String]>([])

        try await offThePool {
            for trial in 0..<60 {
                try remote.fixture.git(["--git-dir", remote.bare, "update-ref", "refs/heads/feature", judged])
                let outcome = Mutex<(deleted: Bool?, pushed: PushResult.Status?, failure: String?)>((nil, nil, nil))
                DispatchQueue.concurrentPerform(iterations: 2) { side in
                    do {
                        if side == 0 {
                            let deleted = try Repository.open(at: remote.fixture.path)
                                .deleteRemoteBranch("feature", expected: expected, onRemote: "origin")
                            outcome.withLock { $0.deleted = deleted }
                        } else {
                            let repository = try Repository.open(at: remote.other)
                            usleep(UInt32(trial % 12) * 150)
                            let status = try repository.push(branch: "feature", toRemote: "origin").status
                            outcome.withLock { $0.pushed = status }
                        }
                    } catch {
                        outcome.withLock { $0.failure = "\(error)" }
                    }
                }
                let (deleted, pushed, failure) = outcome.withLock { $0 }
                #expect(failure == nil, "trial \(trial): \(failure ?? "")")
                if case .pushed = pushed, try remote.remoteTip("feature") != late {
                    losses.withLock { $0.append("trial \(trial): pushed \(String(describing: pushed)), deleted \(String(describing: deleted))") }
                }
            }
        }

        #expect(losses.withLock { $0 } == [], "the deletion removed a commit a push had just put on the branch")
        #expect(try remote.strayReferences() == [])
    }
}
