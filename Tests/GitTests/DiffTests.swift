import Foundation
import Git
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(3))) struct DiffTests {
    /// A base with several files, and a branch that adds, modifies, deletes and renames.
    private func branchedFixture() throws -> (GitFixture, base: ObjectID, tip: ObjectID) {
        let fixture = try GitFixture()
        let body = (1...40).map { "line \($0)" }.joined(separator: "\n") + "\n"
        try fixture.write("keep.txt", body)
        try fixture.write("gone.txt", "bye\n")
        try fixture.write("moved/from.txt", body.replacingOccurrences(of: "line", with: "row"))
        let base = try fixture.commit("base")
        try fixture.git(["checkout", "-q", "-b", "topic"])
        try fixture.write("keep.txt", body.replacingOccurrences(of: "line 3\n", with: "line three\nand more\n"))
        try FileManager.default.removeItem(atPath: fixture.path + "/gone.txt")
        try fixture.git(["mv", "moved/from.txt", "moved/to.txt"])
        try fixture.write("added.bin", "\u{0}\u{1}\u{2}binary")
        try fixture.write("added.txt", "a\nb\n")
        try fixture.commit("first change")
        try fixture.write("added.txt", "a\nb\nc\n")
        let tip = try fixture.commit("second change\n\nConductor-Task: t2")
        try fixture.git(["checkout", "-q", "main"])
        return (fixture, try ObjectID(hex: base), try ObjectID(hex: tip))
    }

    @Test func matchesGitDiffNumstatAndNameStatus() throws {
        let (fixture, base, tip) = try branchedFixture()
        let diff = try Repository.open(at: fixture.path).diff(from: base, to: tip)
        let numstat = try fixture.git(["diff", "--numstat", "-M", base.hex, tip.hex])
        let ours = diff.files.map { file in
            let counts = file.isBinary ? "-\t-" : "\(file.insertions)\t\(file.deletions)"
            let path = file.oldPath.map { "\($0) => \(file.path)" } ?? file.path
            return "\(counts)\t\(path)"
        }
        let theirs = numstat.split(separator: "\n").map { line in
            String(line).replacingOccurrences(of: "moved/{from.txt => to.txt}", with: "moved/from.txt => moved/to.txt")
        }
        #expect(ours.sorted() == theirs.sorted())
        let statuses = Dictionary(uniqueKeysWithValues: diff.files.map { ($0.path, $0.status) })
        #expect(statuses == ["added.bin": .added, "added.txt": .added, "gone.txt": .deleted, "keep.txt": .modified, "moved/to.txt": .renamed])
        #expect(diff.insertions == 5)
        #expect(diff.deletions == 2)
        #expect(diff.patch == nil)
    }

    @Test func changedPathsNameBothSidesOfARenameAndReadNoContent() throws {
        let (fixture, base, tip) = try branchedFixture()
        let repository = try Repository.open(at: fixture.path)
        let named = try repository.diff(from: base, to: tip).files.flatMap { [$0.path] + ($0.oldPath.map { [$0] } ?? []) }
        let paths = try repository.changedPaths(from: base, to: tip)
        #expect(paths == Set(named))
        #expect(paths == ["added.bin", "added.txt", "gone.txt", "keep.txt", "moved/from.txt", "moved/to.txt"])
        // No content is read: a changed blob that is missing does not matter.
        let blob = try fixture.git(["rev-parse", "\(tip.hex):keep.txt"]).trimmingCharacters(in: .whitespacesAndNewlines)
        try FileManager.default.removeItem(atPath: "\(fixture.path)/.git/objects/\(blob.prefix(2))/\(blob.dropFirst(2))")
        #expect(try Repository.open(at: fixture.path).changedPaths(from: base, to: tip) == paths)
    }

    @Test func includesThePatchWhenAsked() throws {
        let (fixture, base, tip) = try branchedFixture()
        let patch = try #require(try Repository.open(at: fixture.path).diff(from: base, to: tip, includePatch: true).patch)
        #expect(patch.contains("+line three\n"))
        #expect(patch.contains("-line 3\n"))
        #expect(patch.contains("rename to moved/to.txt"))
    }

    @Test func workingDirectoryDiffIncludesUncommittedAndUntrackedFiles() throws {
        let (fixture, base, _) = try branchedFixture()
        try fixture.git(["checkout", "-q", "topic"])
        try fixture.write("keep.txt", "rewritten\n")
        try fixture.write("fresh/untracked.txt", "one\ntwo\n")
        let diff = try Repository.open(at: fixture.path).diffWorkingDirectory(from: base)
        let byPath = Dictionary(uniqueKeysWithValues: diff.files.map { ($0.path, $0) })
        #expect(byPath["fresh/untracked.txt"]?.status == .added)
        #expect(byPath["fresh/untracked.txt"]?.insertions == 2)
        #expect(byPath["keep.txt"]?.insertions == 1)
        #expect(byPath["keep.txt"]?.deletions == 40)
        #expect(byPath["added.txt"]?.insertions == 3)
    }

    @Test func listsCommitsAheadOldestFirstWithTrailers() throws {
        let (fixture, base, tip) = try branchedFixture()
        let commits = try Repository.open(at: fixture.path).commits(from: base, to: tip)
        #expect(commits.map(\.summary) == ["first change", "second change"])
        #expect(commits.last?.id == tip)
        #expect(commits.last?.trailer("Conductor-Task") == "t2")
        #expect(commits.first?.authorName == "Fixture")
        #expect(try Repository.open(at: fixture.path).commits(from: tip, to: tip).isEmpty)
    }
}
