import Foundation
import Git
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(3))) struct MergeTests {
    /// Makes branch `name` from main with `files` written and committed; returns its tip.
    private func branch(_ fixture: GitFixture, _ name: String, _ files: [String: String]) throws -> ObjectID {
        try fixture.git(["checkout", "-q", "-b", name, "main"])
        for (path, contents) in files { try fixture.write(path, contents) }
        let tip = try fixture.commit("work on \(name)")
        try fixture.git(["checkout", "-q", "main"])
        return try ObjectID(hex: tip)
    }

    @Test func predictsConflictsBetweenBranchesWithoutCheckingOut() throws {
        let fixture = try GitFixture()
        try fixture.write("shared.txt", "one\ntwo\nthree\n")
        try fixture.commit("shared")
        let a = try branch(fixture, "a", ["shared.txt": "ONE\ntwo\nthree\n", "only-a.txt": "a\n"])
        let b = try branch(fixture, "b", ["shared.txt": "uno\ntwo\nthree\n", "both-new.txt": "b\n"])
        let c = try branch(fixture, "c", ["shared.txt": "one\ntwo\nTHREE\n", "both-new.txt": "c\n"])
        let repository = try Repository.open(at: fixture.path)
        #expect(try repository.conflicts(between: a, and: b) == ["shared.txt"])
        #expect(try repository.conflicts(between: a, and: c) == [])
        #expect(try repository.conflicts(between: b, and: c) == ["both-new.txt"])
        #expect(try fixture.git(["status", "--porcelain"]).isEmpty)
        #expect(try fixture.read("shared.txt") == "one\ntwo\nthree\n")
    }

    @Test func applyingABranchFromItsOnlyMergeBaseIsTheMergeEitherWay() throws {
        let fixture = try GitFixture()
        try fixture.write("shared.txt", "one\ntwo\nthree\n")
        let base = try ObjectID(hex: try fixture.commit("shared"))
        let a = try branch(fixture, "a", ["shared.txt": "ONE\ntwo\nthree\n"])
        let b = try branch(fixture, "b", ["shared.txt": "uno\ntwo\nthree\n", "b.txt": "b\n"])
        let c = try branch(fixture, "c", ["shared.txt": "one\ntwo\nTHREE\n"])
        let repository = try Repository.open(at: fixture.path)
        #expect(try repository.mergeBases(a, b) == [base])
        for (ours, theirs) in [(a, b), (b, a), (a, c), (c, b)] {
            let merged = try repository.conflicts(between: ours, and: theirs)
            #expect(try repository.conflicts(applying: base, to: theirs, onto: ours) == merged)
            #expect(try repository.conflicts(applying: base, to: ours, onto: theirs) == merged, "the other way round")
        }
        #expect(try repository.conflicts(applying: base, to: b, onto: a) == ["shared.txt"])
    }

    @Test func aRenameAgainstAnEditConflictsUnderBothNamesWhicheverSideIsOurs() throws {
        let fixture = try GitFixture()
        let body = (1...30).map { "line \($0)" }.joined(separator: "\n") + "\n"
        try fixture.write("old.txt", body)
        let base = try ObjectID(hex: try fixture.commit("base"))
        try fixture.git(["checkout", "-q", "-b", "rename", "main"])
        try fixture.git(["mv", "old.txt", "new.txt"])
        try fixture.write("new.txt", body.replacingOccurrences(of: "line 15\n", with: "line fifteen\n"))
        let renamed = try ObjectID(hex: try fixture.commit("rename and edit"))
        try fixture.git(["checkout", "-q", "main"])
        let edited = try branch(fixture, "edit", ["old.txt": body.replacingOccurrences(of: "line 15\n", with: "line 15 (edited)\n")])
        let repository = try Repository.open(at: fixture.path)
        #expect(try repository.conflicts(between: renamed, and: edited) == ["new.txt", "old.txt"])
        #expect(try repository.conflicts(between: edited, and: renamed) == ["new.txt", "old.txt"])
        #expect(try repository.conflicts(applying: base, to: edited, onto: renamed) == ["new.txt", "old.txt"])
        #expect(try repository.conflicts(applying: base, to: renamed, onto: edited) == ["new.txt", "old.txt"])
    }

    @Test func twoRenamesOfOneFileAndAFileAgainstADirectoryConflictAlikeEitherWay() throws {
        let fixture = try GitFixture()
        try fixture.write("old.txt", (1...30).map { "line \($0)" }.joined(separator: "\n") + "\n")
        try fixture.write("spot", "a file\n")
        let base = try ObjectID(hex: try fixture.commit("base"))
        try fixture.git(["checkout", "-q", "-b", "one", "main"])
        try fixture.git(["mv", "old.txt", "one.txt"])
        try fixture.git(["rm", "-q", "spot"])
        try fixture.write("spot/inside.txt", "now a directory\n")
        let one = try ObjectID(hex: try fixture.commit("one"))
        try fixture.git(["checkout", "-q", "-b", "two", "main"])
        try fixture.git(["mv", "old.txt", "two.txt"])
        try fixture.write("spot", "an edited file\n")
        let two = try ObjectID(hex: try fixture.commit("two"))
        try fixture.git(["checkout", "-q", "main"])
        let repository = try Repository.open(at: fixture.path)
        let forward = try repository.conflicts(between: one, and: two)
        #expect(forward == ["old.txt", "one.txt", "spot", "two.txt"], "every name each conflict touches")
        #expect(try repository.conflicts(between: two, and: one) == forward)
        #expect(try repository.conflicts(applying: base, to: two, onto: one) == forward)
        #expect(try repository.conflicts(applying: base, to: one, onto: two) == forward)
    }

    @Test func crissCrossMergesLeaveTwoMergeBases() throws {
        let fixture = try GitFixture()
        try fixture.write("x.txt", "x\n")
        try fixture.commit("root")
        _ = try branch(fixture, "one", ["one.txt": "1\n"])
        _ = try branch(fixture, "two", ["two.txt": "2\n"])
        try fixture.git(["checkout", "-q", "one"])
        try fixture.git(["merge", "-q", "--no-edit", "two"])
        try fixture.git(["checkout", "-q", "two"])
        try fixture.git(["merge", "-q", "--no-edit", "one~1"])
        let one = try ObjectID(hex: try fixture.git(["rev-parse", "one"]).trimmingCharacters(in: .whitespacesAndNewlines))
        let two = try ObjectID(hex: try fixture.git(["rev-parse", "two"]).trimmingCharacters(in: .whitespacesAndNewlines))
        let repository = try Repository.open(at: fixture.path)
        #expect(try repository.mergeBases(one, two).count == 2)
        #expect(try repository.mergeBases(one, two).contains(try #require(try repository.mergeBase(one, two))))
    }

    @Test func detectsConflictsWithABaseThatMoved() throws {
        let fixture = try GitFixture()
        let topic = try branch(fixture, "topic", ["README.md": "topic\n"])
        try fixture.write("README.md", "main moved\n")
        let tip = try ObjectID(hex: try fixture.commit("main moves"))
        #expect(try Repository.open(at: fixture.path).conflicts(between: tip, and: topic) == ["README.md"])
    }

    @Test func tellsMergedSquashMergedAndUnmergedBranchesApart() throws {
        let fixture = try GitFixture()
        let merged = try branch(fixture, "merged", ["m.txt": "m\n"])
        let squashed = try branch(fixture, "squashed", ["s.txt": "s\n"])
        let open = try branch(fixture, "open", ["o.txt": "o\n"])
        try fixture.git(["checkout", "-q", "-b", "open2", "open"])
        try fixture.write("o2.txt", "o2\n")
        let openTip = try ObjectID(hex: try fixture.commit("second"))
        try fixture.git(["checkout", "-q", "main"])
        try fixture.git(["merge", "-q", "--no-edit", "merged"])
        try fixture.git(["merge", "-q", "--squash", "squashed"])
        try fixture.commit("squash")
        let base = try ObjectID(hex: try fixture.revParse("main"))
        let repository = try Repository.open(at: fixture.path)
        #expect(try repository.mergeState(of: merged, into: base) == .merged)
        #expect(try repository.mergeState(of: squashed, into: base) == .squashMerged)
        #expect(try repository.mergeState(of: open, into: base) == .unmerged(commitsAhead: 1))
        #expect(try repository.mergeState(of: openTip, into: base) == .unmerged(commitsAhead: 2))
        #expect(try repository.mergeState(of: base, into: base) == .merged)
    }

    @Test func deletingAnUnmergedBranchNeedsForce() throws {
        let fixture = try GitFixture()
        _ = try branch(fixture, "open", ["o.txt": "o\n"])
        _ = try branch(fixture, "squashed", ["s.txt": "s\n"])
        try fixture.git(["merge", "-q", "--squash", "squashed"])
        try fixture.commit("squash")
        let repository = try Repository.open(at: fixture.path)
        let base = try repository.resolveBase(nil).commit
        let error = #expect(throws: GitError.self) { try repository.deleteBranch("open", base: base) }
        #expect(error?.message.contains("1 commit(s) not merged") == true)
        #expect(try repository.branchTip("open") != nil)
        try repository.deleteBranch("squashed", base: base)
        try repository.deleteBranch("open", base: base, force: true)
        #expect(try repository.branchNames() == ["main"])
    }
}
