import Foundation
import Git
import Testing
import TestSupport

/// Deleting a branch on a remote only while it is at the commit judged (a lease), as `prune`
/// of a remote batch does.
@Suite(.timeLimit(.minutes(3))) struct RemoteBranchDeletionTests {
    @Test func deletesOnlyWhileTheBranchIsStillAtTheExpectedCommit() throws {
        let fixture = try GitFixture()
        let bare = fixture.directory.appending("origin.git")
        try fixture.git(["init", "-q", "--bare", "-b", "main", bare], in: fixture.directory.path)
        try fixture.git(["remote", "add", "origin", bare])
        let base = try fixture.revParse("HEAD")
        try fixture.git(["checkout", "-q", "-b", "conductor/b/hostA-0"])
        try fixture.write("a.txt", "a\n")
        let judged = try fixture.commit("work")
        try fixture.git(["push", "-q", "origin", "conductor/b/hostA-0"])
        let repository = try Repository.open(at: fixture.path)

        // The branch moved since it was judged (at `base`): it stays.
        #expect(try !repository.deleteRemoteBranch("conductor/b/hostA-0", expected: ObjectID(hex: base), onRemote: "origin"))
        #expect(try fixture.git(["--git-dir", bare, "rev-parse", "conductor/b/hostA-0"]).trimmingCharacters(in: .whitespacesAndNewlines) == judged)

        #expect(try repository.deleteRemoteBranch("conductor/b/hostA-0", expected: ObjectID(hex: judged), onRemote: "origin"))
        #expect(try fixture.git(["--git-dir", bare, "branch", "--list", "conductor/*"]).isEmpty)
        // Gone already: nothing to do.
        #expect(try repository.deleteRemoteBranch("conductor/b/hostA-0", expected: ObjectID(hex: judged), onRemote: "origin"))
    }
}
