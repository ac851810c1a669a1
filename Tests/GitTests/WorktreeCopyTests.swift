import Foundation
import Git
import Testing
import TestSupport

/// Worktrees that start at one commit are made by checking out the first and copying its files:
/// each copy must be what a checkout makes, clean to git, and independent of the others.
@Suite(.timeLimit(.minutes(3))) struct WorktreeCopyTests {
    private func spec(_ fixture: GitFixture, _ index: Int, start: ObjectID) -> WorktreeSpec {
        WorktreeSpec(name: "b1-w\(index)", path: fixture.directory.appending("work/w\(index)"), branch: "conductor/b1/w\(index)", startPoint: start)
    }

    /// A repository of every entry kind, a worktree checked out (`model`, w0) and one copied from it (w1).
    private func copiedWorktree() throws -> (fixture: GitFixture, repository: Repository, model: WorktreeInfo, copy: WorktreeInfo) {
        let fixture = try GitFixture.withEveryEntryKind(convertingLineEndings: true)
        let repository = try Repository.open(at: fixture.path)
        let base = try repository.resolveBase(nil).commit
        let model = try repository.addWorktree(spec(fixture, 0, start: base))
        try repository.createBranch("conductor/b1/w1", at: base)
        let copy = try repository.addWorktree(onExistingBranch: spec(fixture, 1, start: base), copying: Repository.open(at: model.path).checkoutFiles(of: base, trustsRacyEntries: true))
        return (fixture, repository, model, copy)
    }

    @Test func aCopyIsWhatACheckoutMakesAndGitFindsItClean() throws {
        let (fixture, repository, model, copy) = try copiedWorktree()
        let cli = fixture.directory.appending("work/cli")
        try fixture.git(["worktree", "add", "-q", "--detach", cli])
        #expect(try worktreeSnapshot(copy.path) == worktreeSnapshot(cli))
        #expect(try worktreeSnapshot(copy.path)["docs/notes.txt"] == "file 644 " + Data("one\r\ntwo\r\n".utf8).base64EncodedString())
        #expect(try worktreeSnapshot(copy.path)["run.sh"]?.hasPrefix("file 755 ") == true)
        #expect(try fixture.git(["status", "--porcelain"], in: copy.path).isEmpty)
        #expect(try Repository.open(at: copy.path).uncommittedChanges().isEmpty)
        #expect(try fixture.git(["rev-parse", "--abbrev-ref", "HEAD"], in: copy.path) == "conductor/b1/w1\n")
        // Independent files, not links to the model's.
        try fixture.write("src/deep/er/code.swift", "print(2)\n", root: copy.path)
        #expect(try fixture.read("src/deep/er/code.swift", root: model.path) == "print(1)\n")
        try repository.removeWorktree(named: "b1-w1", force: true)
    }

    /// The copy's index carries the tree of every directory (git's cache-tree, the index's `TREE`
    /// extension), as a checkout's does: a task's commit check that finds nothing changed then
    /// builds no tree. Without it each worktree's first commit check hashed all its directories.
    @Test func aCopysIndexCarriesTheWholeTree() throws {
        let (fixture, repository, _, copy) = try copiedWorktree()
        let index = try fixture.git(["rev-parse", "--path-format=absolute", "--git-path", "index"], in: copy.path)

        let root = try #require(try cachedRootTree(ofIndexAt: index.trimmingCharacters(in: .whitespacesAndNewlines)))

        let entries = try fixture.git(["ls-files"], in: copy.path).split(separator: "\n").count
        #expect(root.entries == entries, "the cached root tree is invalid (-1) or partial")
        #expect(root.tree == (try fixture.revParse("HEAD^{tree}", in: copy.path)))
        // The entries kept the stat data of the copied files (the gitlink's is its empty directory's).
        #expect(!(try fixture.git(["ls-files", "--debug"], in: copy.path).contains("mtime: 0:0")))
        #expect(try fixture.git(["status", "--porcelain"], in: copy.path).isEmpty)
        #expect(try Repository.open(at: copy.path).commitAll(message: "nothing") == nil)
        try repository.removeWorktree(named: "b1-w1", force: true)
    }

    /// The root entry of the `TREE` extension of the index file at `path`: how many index entries
    /// it covers (-1 when invalid) and its tree; nil when the index has no such extension.
    private func cachedRootTree(ofIndexAt path: String) throws -> (entries: Int, tree: String)? {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        // "TREE", a 4-byte size, then the root's entry: its empty path's NUL, "<entries> <subtrees>\n", its id.
        let signature = Array("TREE".utf8)
        guard let start = (12..<(bytes.count - 9)).first(where: { Array(bytes[$0..<$0 + 4]) == signature && bytes[$0 + 8] == 0 }) else { return nil }
        let counts = bytes[(start + 9)...].prefix { $0 != UInt8(ascii: "\n") }
        guard let entries = Int(String(decoding: counts.prefix { $0 != UInt8(ascii: " ") }, as: UTF8.self)) else { return nil }
        let idStart = start + 9 + counts.count + 1
        let id = bytes[idStart..<idStart + 20].map { String(format: "%02x", $0) }.joined()
        return (entries, id)
    }

    @Test func worktreesMadeTogetherAreEachACleanCheckout() throws {
        let fixture = try GitFixture.withEveryEntryKind(convertingLineEndings: true)
        let repository = try Repository.open(at: fixture.path)
        let base = try repository.resolveBase(nil).commit
        let results = try Repository.addWorktrees((0..<4).map { spec(fixture, $0, start: base) }, repositoryAt: fixture.path)
        let infos = try results.map { try $0.get() }
        let first = try worktreeSnapshot(infos[0].path)
        for info in infos {
            #expect(try worktreeSnapshot(info.path) == first)
            #expect(try fixture.git(["status", "--porcelain"], in: info.path).isEmpty)
        }
    }

    @Test func aModelChangedSinceItsCheckoutIsNotCopied() throws {
        let fixture = try GitFixture.withEveryEntryKind(convertingLineEndings: true)
        let repository = try Repository.open(at: fixture.path)
        let base = try repository.resolveBase(nil).commit
        let model = try repository.addWorktree(spec(fixture, 0, start: base))
        try fixture.write("src/deep/er/code.swift", "print(3)\n", root: model.path)
        try repository.createBranch("conductor/b1/w1", at: base)
        #expect(throws: GitError.self) {
            try repository.addWorktree(onExistingBranch: spec(fixture, 1, start: base), copying: Repository.open(at: model.path).checkoutFiles(of: base, trustsRacyEntries: true))
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.directory.appending("work/w1")))
        #expect(try repository.worktree(named: "b1-w1") == nil)
    }
}
