import Foundation
import Git
import Testing
import TestSupport

/// `commitAll` records what `git add -A && git commit` does, for every kind of change a task
/// makes: its tree is compared with the one git's own `add -A` writes in a copy of the same
/// repository (copied with `cp -a`, so that the index's stat cache sees the same files).
@Suite(.timeLimit(.minutes(3))) struct CommitAllLikeGitAddTests {
    /// The tree `git add -A` makes of the repository at `path`, in a copy of it (`path` is left as it is).
    private func gitAddAllTree(of fixture: GitFixture) throws -> String {
        let copy = fixture.directory.appending("copy-\(UUID().uuidString.prefix(8))")
        #expect(try run(["cp", "-a", fixture.path, copy]).status == 0)
        try fixture.git(["add", "-A"], in: copy)
        return try fixture.git(["write-tree"], in: copy).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func treeOfHead(_ fixture: GitFixture) throws -> String {
        try fixture.revParse("HEAD^{tree}")
    }

    @Test func everyKindOfChangeIsCommittedAsGitAddAllRecordsIt() throws {
        let fixture = try GitFixture()
        let files = ["keep.txt", "modified.txt", "deleted.txt", "mode.sh", "retargeted-target-a", "retargeted-target-b",
                     "file-to-link.txt", "dir-to-file/inner.txt", "file-to-dir", "gone/one.txt", "gone/two.txt",
                     "tracked.log", "staged.txt", "staged-then-deleted.txt", "link-to-file"]
        for file in files { try fixture.write(file, "\(file)\n") }
        try FileManager.default.removeItem(atPath: fixture.path + "/link-to-file")
        try FileManager.default.createSymbolicLink(atPath: fixture.path + "/link-to-file", withDestinationPath: "keep.txt")
        try FileManager.default.createSymbolicLink(atPath: fixture.path + "/retargeted", withDestinationPath: "retargeted-target-a")
        try fixture.git(["add", "-A"])
        try fixture.write(".gitignore", "*.log\n")
        try fixture.commit("everything")

        // What a task does, the index included.
        try fixture.write("modified.txt", "changed\n")
        try FileManager.default.removeItem(atPath: fixture.path + "/deleted.txt")
        #expect(chmod(fixture.path + "/mode.sh", 0o755) == 0)
        try FileManager.default.removeItem(atPath: fixture.path + "/retargeted")
        try FileManager.default.createSymbolicLink(atPath: fixture.path + "/retargeted", withDestinationPath: "retargeted-target-b")
        try FileManager.default.removeItem(atPath: fixture.path + "/file-to-link.txt")
        try FileManager.default.createSymbolicLink(atPath: fixture.path + "/file-to-link.txt", withDestinationPath: "keep.txt")
        try FileManager.default.removeItem(atPath: fixture.path + "/link-to-file")
        try fixture.write("link-to-file", "a file now\n")
        try FileManager.default.removeItem(atPath: fixture.path + "/dir-to-file")
        try fixture.write("dir-to-file", "a file now\n")
        try FileManager.default.removeItem(atPath: fixture.path + "/file-to-dir")
        try fixture.write("file-to-dir/inner.txt", "a directory now\n")
        try FileManager.default.removeItem(atPath: fixture.path + "/gone")
        try fixture.write("tracked.log", "tracked, ignored, changed\n")
        try fixture.write("new.log", "ignored, new\n")
        try fixture.write("new.txt", "new\n")
        try fixture.write("new/deep/er.txt", "new, deep\n")
        try FileManager.default.createDirectory(atPath: fixture.path + "/empty", withIntermediateDirectories: true)
        try fixture.write("staged.txt", "staged\n")
        try fixture.git(["add", "staged.txt"])
        try fixture.write("staged.txt", "staged, then changed again\n")
        try fixture.write("staged-then-deleted.txt", "staged\n")
        try fixture.git(["add", "staged-then-deleted.txt"])
        try FileManager.default.removeItem(atPath: fixture.path + "/staged-then-deleted.txt")
        let expected = try gitAddAllTree(of: fixture)

        #expect(try Repository.open(at: fixture.path).commitAll(message: "task") != nil)

        let difference = try fixture.git(["diff", "--name-status", expected, "HEAD^{tree}"])
        #expect(try treeOfHead(fixture) == expected, "\(difference)")
        #expect(try fixture.git(["status", "--porcelain"]) == "")
    }

    /// With `core.ignorecase` (a repository made on macOS or Windows, used here on a file system
    /// that tells case apart), the index finds `Foo` for `foo`: a new `foo` beside a tracked `Foo`
    /// must not overwrite `Foo`'s entry with its bytes. (Found by a review of the commit in one
    /// pass: the second pass of before put `Foo` back.)
    @Test func aNewFileNamedLikeATrackedOneButForCaseDoesNotReplaceIt() throws {
        let fixture = try GitFixture()
        try fixture.write("Foo", "one\n")
        try fixture.commit("Foo")
        try fixture.git(["config", "core.ignorecase", "true"])
        try fixture.write("Foo", "changed\n")
        try fixture.write("foo", "another file\n")
        let expected = try gitAddAllTree(of: fixture)

        #expect(try Repository.open(at: fixture.path).commitAll(message: "task") != nil)

        #expect(try treeOfHead(fixture) == expected)
        #expect(try fixture.git(["show", "HEAD:Foo"]) == "changed\n")
    }

    /// A tracked file replaced by a repository of its own: the file's removal is committed, the
    /// repository left out with a warning (`git add -A` would add it as a gitlink).
    @Test func aTrackedFileReplacedByANestedRepositoryIsRemovedAndTheRepositoryLeftOut() throws {
        let fixture = try GitFixture()
        try fixture.write("vendor/lib", "a file\n")
        try fixture.write("other.txt", "other\n")
        try fixture.commit("with vendor/lib")
        try FileManager.default.removeItem(atPath: fixture.path + "/vendor/lib")
        try fixture.git(["init", "-q", "vendor/lib"])
        try fixture.write("vendor/lib/lib.c", "int x;\n")
        try fixture.commit("lib", in: fixture.path + "/vendor/lib")
        try fixture.write("other.txt", "changed\n")
        var skipped: [String] = []

        #expect(try Repository.open(at: fixture.path).commitAll(message: "task") { skipped.append($0) } != nil)

        #expect(skipped == ["vendor/lib/"])
        #expect(try fixture.git(["show", "--name-status", "--format=", "HEAD"]) == "M\tother.txt\nD\tvendor/lib\n")
        #expect(try fixture.git(["ls-files", "--stage"]).contains("160000") == false, "no gitlink was written")
    }
}
