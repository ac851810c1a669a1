import Foundation
import Git
import Testing
import TestSupport

/// Unified patches of a commit range and of a branch against its base, checked against git itself.
@Suite(.timeLimit(.minutes(3))) struct PatchTests {
    /// main: a base; topic: three commits (edit, chmod + rename, binary + odd name); main moves on after topic left it.
    private func fixture() throws -> (GitFixture, commits: [ObjectID], main: ObjectID) {
        let fixture = try GitFixture()
        let body = (1...30).map { "line \($0)" }.joined(separator: "\n") + "\n"
        try fixture.write("edit.txt", body)
        try fixture.write("run.sh", "echo hi\n")
        try fixture.write("old/name.txt", body.replacingOccurrences(of: "line", with: "row"))
        try fixture.commit("base")
        try fixture.git(["checkout", "-q", "-b", "topic"])
        try fixture.write("edit.txt", body.replacingOccurrences(of: "line 3\n", with: "line three\n"))
        let first = try fixture.commit("edit")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fixture.path + "/run.sh")
        try FileManager.default.createDirectory(atPath: fixture.path + "/new", withIntermediateDirectories: true)
        try fixture.git(["mv", "old/name.txt", "new/name.txt"])
        let second = try fixture.commit("chmod and rename")
        try fixture.write("blob.bin", "\u{0}\u{1}\u{2}binary")
        try fixture.write("tab\there.txt", "odd\n")
        let third = try fixture.commit("binary and odd name")
        try fixture.git(["checkout", "-q", "main"])
        try fixture.write("elsewhere.txt", "main moved on\n")
        let main = try fixture.commit("main moves")
        return (fixture, try [first, second, third].map(ObjectID.init(hex:)), try ObjectID(hex: main))
    }

    @Test func aCommitRangeIsThePatchGitDiffPrintsFromTheParentOfTheFirst() throws {
        let (fixture, commits, _) = try fixture()
        let diff = try Repository.open(at: fixture.path).diff(ofCommits: commits[0], through: commits[2], includePatch: true)
        let git = try fixture.git(["diff", "--no-color", "-M", "--no-ext-diff", commits[0].hex + "^", commits[2].hex])
        #expect(diff.patch == git)
        let patch = try #require(diff.patch)
        #expect(patch.contains("+line three\n"))
        #expect(patch.contains("old mode 100644\nnew mode 100755\n"))
        #expect(patch.contains("rename from old/name.txt\nrename to new/name.txt\n"))
        #expect(patch.contains("Binary files /dev/null and b/blob.bin differ"))
        #expect(patch.contains(#"diff --git "a/tab\there.txt" "b/tab\there.txt""#))
    }

    @Test func oneCommitIsWhatGitShowPrints() throws {
        let (fixture, commits, _) = try fixture()
        let diff = try Repository.open(at: fixture.path).diff(ofCommits: commits[1], through: commits[1], includePatch: true)
        let git = try fixture.git(["show", "--no-color", "-M", "--format=", commits[1].hex])
        #expect(diff.patch == git)
    }

    @Test func aModeChangeIsReportedWithBothModesAndNoLines() throws {
        let (fixture, commits, _) = try fixture()
        let diff = try Repository.open(at: fixture.path).diff(ofCommits: commits[1], through: commits[1])
        let run = try #require(diff.files.first { $0.path == "run.sh" })
        #expect(run.status == .modified)
        #expect(run.insertions == 0 && run.deletions == 0)
        #expect(run.oldMode == "100644" && run.newMode == "100755")
        let renamed = try #require(diff.files.first { $0.path == "new/name.txt" })
        #expect(renamed.status == .renamed && renamed.oldPath == "old/name.txt")
        #expect(renamed.oldMode == nil && renamed.newMode == nil)
        #expect(diff.patch == nil)
    }

    @Test func aBranchIsComparedWithWhereItLeftTheBaseAsThreeDotDiffDoes() throws {
        let (fixture, commits, main) = try fixture()
        let diff = try Repository.open(at: fixture.path).diff(ofBranch: commits[2], against: main, includePatch: true)
        let git = try fixture.git(["diff", "--no-color", "-M", "main...topic"])
        #expect(diff.patch == git)
        #expect(!diff.files.contains { $0.path == "elsewhere.txt" })
        #expect(diff.files.map(\.path).sorted() == ["blob.bin", "edit.txt", "new/name.txt", "run.sh", "tab\there.txt"])
    }

    @Test func aRootCommitIsComparedWithTheEmptyTree() throws {
        let fixture = try GitFixture()
        let root = try ObjectID(hex: fixture.revParse("HEAD"))
        let diff = try Repository.open(at: fixture.path).diff(ofCommits: root, through: root, includePatch: true)
        #expect(diff.files.map(\.path) == ["README.md"])
        #expect(diff.patch == (try fixture.git(["show", "--no-color", "--format=", "HEAD"])))
    }
}
