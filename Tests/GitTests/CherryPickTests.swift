import Foundation
import Git
import Testing
import TestSupport

/// Applying a range of commits onto another commit in memory, and writing the result as a commit.
@Suite(.timeLimit(.minutes(3))) struct CherryPickTests {
    /// Every ref and what it points to, with HEAD and the checkout's status, to show nothing moved.
    private func state(_ fixture: GitFixture) throws -> String {
        try fixture.git(["for-each-ref", "--format=%(refname) %(objectname)"]) + fixture.git(["symbolic-ref", "HEAD"])
            + fixture.git(["status", "--porcelain"])
    }

    /// main: shared.txt; topic: two commits (a.txt, then shared.txt's first line); other: shared.txt's first line too.
    private func scenario() throws -> (fixture: GitFixture, repository: Repository, base: ObjectID, first: ObjectID, last: ObjectID, other: ObjectID) {
        let fixture = try GitFixture()
        try fixture.write("shared.txt", "one\ntwo\nthree\n")
        let base = try fixture.commit("base")
        try fixture.git(["checkout", "-q", "-b", "topic"])
        try fixture.write("a.txt", "a\n")
        let first = try fixture.commit("Add a")
        try fixture.write("shared.txt", "ONE\ntwo\nthree\n")
        let last = try fixture.commit("Shout one\n\nConductor-Task: t1")
        try fixture.git(["checkout", "-q", "-b", "other", base])
        try fixture.write("shared.txt", "uno\ntwo\nthree\n")
        try fixture.write("b.txt", "b\n")
        let other = try fixture.commit("Say uno")
        try fixture.git(["checkout", "-q", "main"])
        let repository = try Repository.open(at: fixture.path)
        return (fixture, repository, try repository.resolveCommit(base), try repository.resolveCommit(first),
                try repository.resolveCommit(last), try repository.resolveCommit(other))
    }

    @Test func aRangeAppliesOntoAnotherCommitAsGitCherryPickWouldWithoutTouchingAnything() throws {
        let s = try scenario()
        let before = try state(s.fixture)
        let onlyA = try s.repository.applyChange(from: s.base, to: s.first, onto: s.other)
        guard case .clean(let tree) = onlyA else { Issue.record("a.txt applies cleanly: \(onlyA)"); return }
        let names = try s.fixture.git(["ls-tree", "--name-only", tree.hex]).split(separator: "\n")
        #expect(names.contains("a.txt") && names.contains("b.txt"), "\(names)")
        #expect(try s.fixture.git(["show", "\(tree.hex):shared.txt"]) == "uno\ntwo\nthree\n")
        #expect(try s.repository.applyChange(from: s.base, to: s.last, onto: s.other) == .conflicts(["shared.txt"]))
        #expect(try state(s.fixture) == before)
    }

    @Test func aChangeAlreadyThereGivesTheSameTree() throws {
        let s = try scenario()
        let result = try s.repository.applyChange(from: s.first, to: s.last, onto: s.last)
        #expect(result == .clean(tree: try s.repository.treeID(of: s.last)))
    }

    @Test func aPickKeepsTheMessageAndSignaturesOfItsSourceSoItIsTheSameCommitEachTime() throws {
        let s = try scenario()
        guard case .clean(let tree) = try s.repository.applyChange(from: s.base, to: s.first, onto: s.other) else {
            Issue.record("a.txt applies cleanly"); return
        }
        let before = try state(s.fixture)
        let message = try s.repository.message(of: s.last)
        #expect(message == "Shout one\n\nConductor-Task: t1\n")
        let pick = try s.repository.commit(tree: tree, parent: s.other, message: message, signaturesOf: s.last)
        #expect(try s.fixture.git(["log", "-1", "--format=%P", pick.hex]) == "\(s.other.hex)\n")
        #expect(try s.fixture.git(["log", "-1", "--format=%B", pick.hex]) == "Shout one\n\nConductor-Task: t1\n\n")
        let signatures = "--format=%an %ae %ad %cn %ce %cd"
        #expect(try s.fixture.git(["log", "-1", signatures, pick.hex]) == (try s.fixture.git(["log", "-1", signatures, s.last.hex])))
        #expect(try s.repository.commit(tree: tree, parent: s.other, message: message, signaturesOf: s.last) == pick)
        #expect(try state(s.fixture) == before, "no ref moved, the checkout is untouched")
    }
}
