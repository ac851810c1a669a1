import Foundation
import Git
import Testing
import TestSupport

/// The pieces the commit step guards itself with: where HEAD is, putting it back on a branch,
/// refs that keep commits reachable, finding commits by ref prefix, and nested repositories.
@Suite(.timeLimit(.minutes(3))) struct CommitGuardTests {
    /// A repository with a linked worktree on `conductor/b/w0`.
    private func worktree(_ fixture: GitFixture) throws -> (repository: Repository, path: String, base: ObjectID) {
        let repository = try Repository.open(at: fixture.path)
        let base = try repository.resolveBase(nil).commit
        let info = try repository.addWorktree(WorktreeSpec(
            name: "w0", path: fixture.directory.appending("w0"), branch: "conductor/b/w0", startPoint: base))
        return (repository, info.path, base)
    }

    @Test func nestedRepositoriesAreLeftOutAndTheRestCommitted() throws {
        let fixture = try GitFixture()
        try fixture.git(["init", "-q", "scaffold"])
        try fixture.write("scaffold/index.js", "x\n")
        try fixture.git(["init", "-q", "vendor/lib"])
        try fixture.write("vendor/lib/lib.c", "int x;\n")
        try fixture.commit("lib", in: fixture.path + "/vendor/lib")
        try fixture.write("a.txt", "a\n")
        var skipped: [String] = []
        let commit = try Repository.open(at: fixture.path).commitAll(message: "work") { skipped.append($0) }
        #expect(commit != nil)
        #expect(skipped.sorted() == ["scaffold/", "vendor/lib/"])
        #expect(try fixture.git(["show", "--name-only", "--format=", "HEAD"]) == "a.txt\n")
        #expect(try fixture.git(["ls-files", "--stage"]).contains("160000") == false, "no gitlink was written")
    }

    @Test func headSaysWhereItIsAndCanBePutBackOnTheBranchWithoutTouchingFiles() throws {
        let fixture = try GitFixture()
        let (_, path, base) = try worktree(fixture)
        let checkout = try Repository.open(at: path, searchParents: false)
        #expect(try checkout.head().branch == "conductor/b/w0" && checkout.head().commit == base)
        try fixture.git(["checkout", "-q", "--detach"], in: path)
        try fixture.write("moved.txt", "m\n", root: path)
        let detached = try fixture.commit("on a detached HEAD", in: path)
        try fixture.write("wip.txt", "w\n", root: path)
        let head = try checkout.head()
        #expect(head.branch == nil && head.commit?.hex == detached)
        #expect(checkout.contains(base, in: head.commit!))
        #expect(!checkout.contains(head.commit!, in: base))

        try checkout.attachHead(to: "conductor/b/w0", at: head.commit!, message: "back")
        #expect(try fixture.git(["symbolic-ref", "HEAD"], in: path) == "refs/heads/conductor/b/w0\n")
        #expect(try fixture.revParse("conductor/b/w0") == detached)
        #expect(try fixture.git(["status", "--porcelain"], in: path) == "?? wip.txt\n")
    }

    @Test func refsNameCommitsAndTheCommitsUnderThemAreFound() throws {
        let fixture = try GitFixture()
        let (repository, path, base) = try worktree(fixture)
        try fixture.write("one.txt", "1\n", root: path)
        let one = try ObjectID(hex: try fixture.commit("one\n\nConductor-Task: t1", in: path))
        try repository.setReference("refs/conductor/b/w0/1-t1-\(one.hex.prefix(12))", to: one, message: "test")
        try fixture.git(["reset", "-q", "--hard", "HEAD~1"], in: path)
        #expect(try repository.references(prefix: "refs/conductor/b/w0/").map(\.commit) == [one])
        #expect(try repository.references(prefix: "refs/conductor/b/w1/").isEmpty)
        let found = try repository.commits(underReferences: ["refs/heads/conductor/b/", "refs/conductor/b/"], notIn: base)
        #expect(found.map(\.id) == [one])
        #expect(found.first?.trailer("Conductor-Task") == "t1")
        #expect(try repository.commits(underReferences: ["refs/conductor/none/"], notIn: base).isEmpty)
    }
}
