import Foundation
import Git
import Testing
import TestSupport

/// Pushing branches with libgit2 to a bare repository on disk, named as a plain path and as a
/// `file://` URL. (ssh and https need a server: the credential path is covered only as far as
/// `PushCommandTests` can run git's credential helpers.)
@Suite(.timeLimit(.minutes(3))) struct PushTests {
    /// A bare repository beside the fixture, added to it as remote `name` with `url(path)`.
    private func addBareRemote(_ fixture: GitFixture, _ name: String, url: (String) -> String = { $0 }) throws -> String {
        let bare = fixture.directory.appending("\(name).git")
        try fixture.git(["init", "-q", "--bare", "-b", "main", bare], in: fixture.directory.path)
        try fixture.git(["remote", "add", name, url(bare)])
        return bare
    }

    private func tip(_ fixture: GitFixture, _ branch: String, in repository: String) throws -> String? {
        let result = try run(["git", "rev-parse", "--verify", "-q", "refs/heads/" + branch], in: repository)
        return result.status == 0 ? result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }

    private func makeBranch(_ fixture: GitFixture, _ name: String) throws -> String {
        try fixture.git(["checkout", "-q", "-b", name])
        try fixture.write("\(name.replacing("/", with: "-")).txt", "work\n")
        let sha = try fixture.commit("work on \(name)")
        try fixture.git(["checkout", "-q", "main"])
        return sha
    }

    @Test(arguments: [false, true]) func pushesABranchThenFindsItUpToDate(fileURL: Bool) throws {
        let fixture = try GitFixture()
        let bare = try addBareRemote(fixture, "origin", url: { fileURL ? "file://" + $0 : $0 })
        let sha = try makeBranch(fixture, "conductor/b/w0")
        let repository = try Repository.open(at: fixture.path)

        let first = try repository.push(branch: "conductor/b/w0", toRemote: "origin")
        #expect(first.status == .pushed(previous: nil))
        #expect(first.tip.hex == sha)
        #expect(try tip(fixture, "conductor/b/w0", in: bare) == sha)
        #expect(try fixture.revParse("refs/remotes/origin/conductor/b/w0") == sha)

        let again = try repository.push(branch: "conductor/b/w0", toRemote: "origin")
        #expect(again.status == .upToDate)
    }

    @Test func fastForwardsAndNamesTheRemoteTipItReplaced() throws {
        let fixture = try GitFixture()
        let bare = try addBareRemote(fixture, "origin")
        let old = try makeBranch(fixture, "feature")
        let repository = try Repository.open(at: fixture.path)
        _ = try repository.push(branch: "feature", toRemote: "origin")
        try fixture.git(["checkout", "-q", "feature"])
        let new = try fixture.commit("more")
        try fixture.git(["checkout", "-q", "main"])

        let result = try repository.push(branch: "feature", toRemote: "origin")
        #expect(result.status == .pushed(previous: try repository.resolveCommit(old)))
        #expect(try tip(fixture, "feature", in: bare) == new)
    }

    @Test func refusesToOverwriteABranchSomeoneElseMoved() throws {
        let fixture = try GitFixture()
        let bare = try addBareRemote(fixture, "origin")
        _ = try makeBranch(fixture, "feature")
        let repository = try Repository.open(at: fixture.path)
        _ = try repository.push(branch: "feature", toRemote: "origin")
        let other = fixture.directory.appending("other")
        try fixture.git(["clone", "-q", "-b", "feature", bare, other], in: fixture.directory.path)
        try fixture.write("theirs.txt", "theirs\n", root: other)
        let theirs = try fixture.commit("theirs", in: other)
        try fixture.git(["push", "-q", "origin", "feature"], in: other)
        try fixture.git(["checkout", "-q", "feature"])
        try fixture.write("ours.txt", "ours\n")
        try fixture.commit("ours")
        try fixture.git(["checkout", "-q", "main"])

        let result = try repository.push(branch: "feature", toRemote: "origin")
        guard case .rejected(let reason, remoteMoved: true) = result.status else {
            Issue.record("expected a rejection, got \(result.status)")
            return
        }
        #expect(!reason.isEmpty)
        #expect(try tip(fixture, "feature", in: bare) == theirs)
    }

    @Test func listsRemotesAndFindsTheUpstreamRemoteOfABranch() throws {
        let fixture = try GitFixture()
        let repository = try Repository.open(at: fixture.path)
        #expect(try repository.remoteNames().isEmpty)
        #expect(try repository.upstreamRemote(ofBranch: "main") == nil)
        let bare = try addBareRemote(fixture, "upstream")
        _ = try addBareRemote(fixture, "origin", url: { "file://" + $0 })
        try fixture.git(["config", "branch.main.remote", "upstream"])
        try fixture.git(["config", "branch.main.merge", "refs/heads/main"])

        #expect(try repository.remoteNames() == ["origin", "upstream"])
        #expect(try repository.remoteURL("upstream") == bare)
        #expect(try repository.remoteURL("nope") == nil)
        #expect(try repository.upstreamRemote(ofBranch: "main") == "upstream")
    }

    @Test func anUnknownRemoteOrBranchIsAnError() throws {
        let fixture = try GitFixture()
        _ = try addBareRemote(fixture, "origin")
        let repository = try Repository.open(at: fixture.path)
        #expect(throws: GitError.self) { try repository.push(branch: "main", toRemote: "nope") }
        #expect(throws: GitError.self) { try repository.push(branch: "no-such-branch", toRemote: "origin") }
    }
}
