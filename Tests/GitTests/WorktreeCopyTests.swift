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

    @Test func aCopyIsWhatACheckoutMakesAndGitFindsItClean() throws {
        let fixture = try GitFixture.withEveryEntryKind(convertingLineEndings: true)
        let repository = try Repository.open(at: fixture.path)
        let base = try repository.resolveBase(nil).commit
        let model = try repository.addWorktree(spec(fixture, 0, start: base))
        try repository.createBranch("conductor/b1/w1", at: base)
        let copy = try repository.addWorktree(onExistingBranch: spec(fixture, 1, start: base), copying: model.path, trustsRacyEntries: true)
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
            try repository.addWorktree(onExistingBranch: spec(fixture, 1, start: base), copying: model.path, trustsRacyEntries: true)
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.directory.appending("work/w1")))
        #expect(try repository.worktree(named: "b1-w1") == nil)
    }
}
