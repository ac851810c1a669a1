import Foundation
import Git
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(3))) struct IntegrationTests {
    /// Makes branch `name` from `start` with `files` written and committed; returns its tip.
    ///
    /// Ids come from a `Repository` rather than `ObjectID(hex:)`, which needs libgit2 initialised.
    private func branch(_ fixture: GitFixture, _ name: String, from start: String = "main", _ files: [String: String]) throws -> ObjectID {
        try fixture.git(["checkout", "-q", "-b", name, start])
        for (path, contents) in files { try fixture.write(path, contents) }
        let tip = try fixture.commit("work on \(name)")
        try fixture.git(["checkout", "-q", "main"])
        return try Repository.open(at: fixture.path).resolveCommit(tip)
    }

    /// Every ref and what it points to, to show that nothing moved.
    private func refs(_ fixture: GitFixture) throws -> String {
        try fixture.git(["for-each-ref", "--format=%(refname) %(objectname)"]) + (try fixture.git(["symbolic-ref", "HEAD"]))
    }

    @Test func findsTheMergeBaseGitFindsAndNoneForUnrelatedHistories() throws {
        let fixture = try GitFixture()
        let a = try branch(fixture, "a", ["a.txt": "a\n"])
        let b = try branch(fixture, "b", ["b.txt": "b\n"])
        let repository = try Repository.open(at: fixture.path)
        let expected = try fixture.git(["merge-base", a.hex, b.hex]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try repository.mergeBase(a, b)?.hex == expected)
        #expect(try repository.mergeBase(a, a) == a)

        try fixture.git(["checkout", "-q", "--orphan", "lonely"])
        try fixture.git(["rm", "-q", "-rf", "."])
        try fixture.write("other.txt", "other\n")
        let lonely = try repository.resolveCommit(try fixture.commit("unrelated"))
        try fixture.git(["checkout", "-q", "main"])
        #expect(try repository.mergeBase(a, lonely) == nil)
        #expect(throws: GitError.self) { try repository.mergeCommit(ours: a, theirs: lonely, message: "no") }
    }

    @Test func writesAMergeCommitWithoutMovingAnyRefOrTouchingTheCheckout() throws {
        let fixture = try GitFixture()
        try fixture.write("shared.txt", "one\ntwo\nthree\n")
        try fixture.commit("shared")
        let ours = try branch(fixture, "ours", ["shared.txt": "ONE\ntwo\nthree\n", "ours.txt": "o\n"])
        let theirs = try branch(fixture, "theirs", ["shared.txt": "one\ntwo\nTHREE\n", "theirs.txt": "t\n"])
        let before = try refs(fixture)
        let repository = try Repository.open(at: fixture.path)

        let merge = try #require(try repository.mergeCommit(ours: ours, theirs: theirs, message: "Merge theirs into ours"))
        #expect(try fixture.git(["log", "-1", "--format=%P", merge.hex]) == "\(ours.hex) \(theirs.hex)\n")
        #expect(try fixture.git(["log", "-1", "--format=%B", merge.hex]) == "Merge theirs into ours\n\n")
        #expect(try fixture.git(["show", "\(merge.hex):shared.txt"]) == "ONE\ntwo\nTHREE\n")
        let stat = try fixture.git(["show", "--stat", "--format=", "--diff-merges=first-parent", merge.hex])
        #expect(stat.contains("shared.txt") && stat.contains("theirs.txt") && !stat.contains("ours.txt"))
        #expect(try refs(fixture) == before)
        #expect(try fixture.git(["status", "--porcelain"]).isEmpty)
        #expect(try fixture.read("shared.txt") == "one\ntwo\nthree\n")
        #expect(try fixture.git(["fsck", "--no-dangling"]).isEmpty)
    }

    @Test func aConflictingMergeMakesNoCommit() throws {
        let fixture = try GitFixture()
        let ours = try branch(fixture, "ours", ["README.md": "ours\n"])
        let theirs = try branch(fixture, "theirs", ["README.md": "theirs\n"])
        let before = try refs(fixture)
        #expect(try Repository.open(at: fixture.path).mergeCommit(ours: ours, theirs: theirs, message: "Merge") == nil)
        #expect(try refs(fixture) == before)
        #expect(try fixture.git(["status", "--porcelain"]).isEmpty)
    }

    @Test func containedWorkIsNotMergedAndAnAncestorFastForwards() throws {
        let fixture = try GitFixture()
        let older = try branch(fixture, "older", ["a.txt": "a\n"])
        let newer = try branch(fixture, "newer", from: "older", ["b.txt": "b\n"])
        let repository = try Repository.open(at: fixture.path)
        #expect(try repository.mergeCommit(ours: newer, theirs: older, message: "Merge") == newer)
        #expect(try repository.mergeCommit(ours: older, theirs: newer, message: "Merge") == newer)
        #expect(try repository.mergeCommit(ours: newer, theirs: newer, message: "Merge") == newer)
    }

    @Test func setsABranchCreatingOrMovingItButNotUnderACheckout() throws {
        let fixture = try GitFixture()
        let repository = try Repository.open(at: fixture.path)
        let first = try repository.resolveCommit("main")
        let second = try branch(fixture, "topic", ["a.txt": "a\n"])

        try repository.setBranch("conductor/b1/merged", to: second)
        #expect(try fixture.revParse("conductor/b1/merged") == second.hex)
        try repository.setBranch("conductor/b1/merged", to: first)
        #expect(try fixture.revParse("conductor/b1/merged") == first.hex)
        #expect(throws: GitError.self) { try repository.setBranch("bad..name", to: first) }

        let error = #expect(throws: GitError.self) { try repository.setBranch("main", to: second) }
        #expect(error?.message.contains("checked out in the main checkout") == true)
        #expect(try fixture.revParse("main") == first.hex)

        let worktree = fixture.directory.appending("topic-checkout")
        try fixture.git(["worktree", "add", "-q", worktree, "topic"])
        let linked = #expect(throws: GitError.self) { try repository.setBranch("topic", to: first) }
        #expect(linked?.message.contains(worktree) == true)
        #expect(try fixture.revParse("topic") == second.hex)
        try repository.setBranch("topic", to: second)
    }
}
