import Conductor
import Foundation
import Testing
import TestSupport

/// `MergeReport.filesChanged(byCommits:in:)`: the FILES column of `conductor batch`'s table, how
/// many files each task's commit changed against its parent, in whichever repository holds it.
@Suite(.timeLimit(.minutes(3))) struct CommitFilesTests {
    @Test func eachCommitIsCountedInTheRepositoryThatHoldsIt() throws {
        let app = try GitFixture(), lib = try GitFixture()
        try app.write("a.txt", "a\n")
        try app.write("dir/b.txt", "b\n")
        let two = try app.commit("two files")
        try app.git(["rm", "-q", "README.md"])
        let removal = try app.commit("one removal")
        try lib.write("README.md", "changed\n")
        let inLib = try lib.commit("one edit")
        let empty = try lib.commit("nothing")
        let repositories = [BatchRepository(path: app.path, name: "app", base: "main", baseCommit: ""),
                            BatchRepository(path: lib.path, name: "lib", base: "main", baseCommit: "")]
        let counts = MergeReport.filesChanged(byCommits: [two, removal, inLib, empty], in: repositories)
        #expect(counts == [two: 2, removal: 1, inLib: 1, empty: 0])
    }

    @Test func aCommitNoRepositoryHoldsIsLeftOut() throws {
        let app = try GitFixture()
        let gone = BatchRepository(path: app.directory.appending("moved-away"), name: "gone", base: "main", baseCommit: "")
        let here = BatchRepository(path: app.path, name: "app", base: "main", baseCommit: "")
        let unknown = String(repeating: "ab", count: 20)
        let head = try app.revParse("HEAD")
        #expect(MergeReport.filesChanged(byCommits: [unknown, head], in: [gone, here]) == [head: 1], "the root commit adds README.md")
    }
}
