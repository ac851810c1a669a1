import Foundation
import Git
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(3))) struct WorktreeTests {
    private func spec(_ fixture: GitFixture, _ index: Int, start: ObjectID?) -> WorktreeSpec {
        WorktreeSpec(
            name: "b1-w\(index)", path: fixture.directory.appending("work/b1/repo/w\(index)"),
            branch: "conductor/b1/w\(index)", startPoint: start)
    }

    @Test func addsAWorktreeOnANewBranchThatTheGitCLISees() throws {
        let fixture = try GitFixture()
        let repository = try Repository.open(at: fixture.path)
        let base = try repository.resolveBase(nil)
        let info = try repository.addWorktree(spec(fixture, 0, start: base.commit))
        #expect(info.branch == "conductor/b1/w0")
        #expect(info.isValid)
        #expect(try fixture.read("README.md", root: info.path) == "hello\n")
        let porcelain = try fixture.git(["worktree", "list", "--porcelain"])
        #expect(porcelain.contains("worktree \(info.path)\n"))
        #expect(porcelain.contains("branch refs/heads/conductor/b1/w0"))
        #expect(try fixture.revParse("conductor/b1/w0") == base.commit.hex)
        #expect(try fixture.git(["status", "--porcelain"], in: info.path).isEmpty)
    }

    @Test func aFailedAddRollsBackItsBranchAndAdminEntry() throws {
        let fixture = try GitFixture()
        let repository = try Repository.open(at: fixture.path)
        let base = try repository.resolveBase(nil)
        let occupied = spec(fixture, 0, start: base.commit)
        try FileManager.default.createDirectory(atPath: occupied.path, withIntermediateDirectories: true)
        let error = #expect(throws: GitError.self) { try repository.addWorktree(occupied) }
        #expect(error?.message.contains("already exists") == true)
        #expect(try repository.branchTip("conductor/b1/w0") == nil)
        #expect(!FileManager.default.fileExists(atPath: fixture.path + "/.git/worktrees/b1-w0"))

        let slashed = WorktreeSpec(name: "a/b", path: fixture.directory.appending("x"), branch: "x", startPoint: base.commit)
        #expect(throws: GitError.self) { try repository.addWorktree(slashed) }
        #expect(try repository.branchTip("x") == nil)
        try FileManager.default.removeItem(atPath: occupied.path)
        #expect(try repository.addWorktree(occupied).isValid)
    }

    @Test func anExistingBranchIsRefusedUnlessReused() throws {
        let fixture = try GitFixture()
        try fixture.git(["branch", "conductor/b1/w0"])
        let repository = try Repository.open(at: fixture.path)
        let base = try repository.resolveBase(nil)
        #expect(throws: GitError.self) { try repository.addWorktree(spec(fixture, 0, start: base.commit)) }
        #expect(try repository.branchTip("conductor/b1/w0") == base.commit)
        let reused = try repository.addWorktree(spec(fixture, 0, start: nil))
        #expect(reused.branch == "conductor/b1/w0")
    }

    @Test func aStaleEntryWithTheNameToAddIsCleanedAndOthersDoNotBlockDeleting() throws {
        let fixture = try GitFixture()
        let stale = fixture.path + "/.git/worktrees/b1-w0"
        try FileManager.default.createDirectory(atPath: stale, withIntermediateDirectories: true)
        try "ref: refs/heads/main\n".write(toFile: stale + "/HEAD", atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: stale)
        let repository = try Repository.open(at: fixture.path)
        let base = try repository.resolveBase(nil)
        #expect(try repository.addWorktree(spec(fixture, 0, start: base.commit)).isValid)

        try repository.createBranch("topic", at: base.commit)
        let ghost = fixture.path + "/.git/worktrees/ghost"
        try FileManager.default.createDirectory(atPath: ghost, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: ghost)
        try repository.deleteBranch("topic", base: base.commit)
        #expect(try repository.branchTip("topic") == nil)
        #expect(FileManager.default.fileExists(atPath: ghost), "an entry conductor was not told about is left alone")
    }

    @Test func aFreshHalfWrittenEntryIsLeftToItsOwner() throws {
        let fixture = try GitFixture()
        let young = fixture.path + "/.git/worktrees/in-progress"
        try FileManager.default.createDirectory(atPath: young, withIntermediateDirectories: true)
        #expect(try Repository.open(at: fixture.path).pruneStaleWorktreeEntries(named: ["in-progress"]).isEmpty)
        #expect(FileManager.default.fileExists(atPath: young))
    }

    @Test func addsEightWorktreesInParallel() throws {
        let fixture = try GitFixture()
        for index in 0..<50 { try fixture.write("dir\(index % 5)/file\(index).txt", String(repeating: "line \(index)\n", count: 100)) }
        try fixture.commit("files")
        let base = try Repository.open(at: fixture.path).resolveBase(nil)
        let specs = (0..<8).map { spec(fixture, $0, start: base.commit) }
        let results = try Repository.addWorktrees(specs, repositoryAt: fixture.path)
        #expect(results.count == 8)
        for (index, result) in results.enumerated() {
            let info = try result.get()
            #expect(info.name == "b1-w\(index)")
            #expect(try fixture.git(["status", "--porcelain"], in: info.path).isEmpty)
            #expect(try fixture.read("dir2/file7.txt", root: info.path).hasPrefix("line 7\n"))
        }
        let listed = try fixture.git(["worktree", "list", "--porcelain"])
        #expect(listed.components(separatedBy: "\nworktree ").count == 9)
        #expect(try Repository.open(at: fixture.path).worktrees().count == 8)
    }

    @Test func parallelAddReportsEachFailureAndKeepsTheRest() throws {
        let fixture = try GitFixture()
        let base = try Repository.open(at: fixture.path).resolveBase(nil)
        let specs = (0..<3).map { spec(fixture, $0, start: base.commit) }
        try FileManager.default.createDirectory(atPath: specs[1].path, withIntermediateDirectories: true)
        let results = try Repository.addWorktrees(specs, repositoryAt: fixture.path)
        #expect((try? results[0].get()) != nil)
        #expect((try? results[1].get()) == nil)
        #expect((try? results[2].get()) != nil)
        #expect(try Repository.open(at: fixture.path).branchTip("conductor/b1/w1") == nil)
    }

    @Test func listsWorktreesMadeByTheGitCLI() throws {
        let fixture = try GitFixture()
        let path = fixture.directory.appending("cli-tree")
        try fixture.git(["worktree", "add", "-q", "-b", "cli-branch", path])
        let worktrees = try Repository.open(at: fixture.path).worktrees()
        #expect(worktrees.count == 1)
        #expect(worktrees.first?.path == path)
        #expect(worktrees.first?.branch == "cli-branch")
        #expect(worktrees.first?.name == "cli-tree")
    }

    @Test func theGitCLIPrunesAnEntryWhoseDirectoryWasDeleted() throws {
        let fixture = try GitFixture()
        let repository = try Repository.open(at: fixture.path)
        let info = try repository.addWorktree(spec(fixture, 0, start: try repository.resolveBase(nil).commit))
        try FileManager.default.removeItem(atPath: info.path)
        #expect(try repository.worktrees().first?.isValid == false)
        try fixture.git(["worktree", "prune"])
        #expect(try repository.worktrees().isEmpty)
        #expect(try fixture.git(["worktree", "list", "--porcelain"]).components(separatedBy: "worktree ").count == 2)
    }

    @Test func conductorPrunesAnEntryWhoseDirectoryWasDeleted() throws {
        let fixture = try GitFixture()
        let repository = try Repository.open(at: fixture.path)
        let info = try repository.addWorktree(spec(fixture, 0, start: try repository.resolveBase(nil).commit))
        try FileManager.default.removeItem(atPath: info.path)
        #expect(try repository.pruneStaleWorktreeEntries(named: ["b1-w0"]) == ["b1-w0"])
        #expect(try repository.worktrees().isEmpty)
    }

    @Test func reportsUncommittedAndUntrackedFiles() throws {
        let fixture = try GitFixture()
        let repository = try Repository.open(at: fixture.path)
        let info = try repository.addWorktree(spec(fixture, 0, start: try repository.resolveBase(nil).commit))
        let worktree = try Repository.open(at: info.path)
        #expect(try !worktree.hasUncommittedChanges)
        try fixture.write("README.md", "changed\n", root: info.path)
        try fixture.write("notes/new.txt", "new\n", root: info.path)
        try fixture.write(".gitignore", "*.log\n", root: info.path)
        try fixture.write("debug.log", "ignored\n", root: info.path)
        let changes = try worktree.uncommittedChanges()
        #expect(changes == [
            FileStatus(path: ".gitignore", kind: .untracked),
            FileStatus(path: "README.md", kind: .modified),
            FileStatus(path: "notes/new.txt", kind: .untracked),
        ])
    }

    /// One walk lists both: the ignored paths beside the uncommitted files. A tracked file that
    /// `.gitignore` matches, removed from the index but kept on disk (`git rm --cached`), is an
    /// uncommitted deletion (libgit2 flags it deleted and ignored at once), not only ignored.
    @Test func theStatusWalkListsIgnoredPathsAndKeepsAStagedDeletionOfAnIgnoredFile() throws {
        let fixture = try GitFixture()
        try fixture.write(".env", "SECRET=1\n")
        try fixture.commit("Track .env")
        try fixture.write(".gitignore", ".env\nbuild/\n")
        try fixture.commit("Ignore .env and build/")
        let repository = try Repository.open(at: fixture.path)
        let info = try repository.addWorktree(spec(fixture, 0, start: try repository.resolveBase(nil).commit))
        try fixture.git(["rm", "-q", "--cached", ".env"], in: info.path)
        try fixture.write("build/out.o", "object\n", root: info.path)
        try fixture.write("notes.txt", "new\n", root: info.path)
        let status = try Repository.open(at: info.path).workingDirectoryStatus()
        #expect(status.uncommitted == [FileStatus(path: ".env", kind: .deleted), FileStatus(path: "notes.txt", kind: .untracked)])
        #expect(status.ignored == [".env", "build/"])
        #expect(try Repository.open(at: info.path).uncommittedChanges() == status.uncommitted)
    }

    @Test func removalRefusesADirtyWorktreeUnlessForced() throws {
        let fixture = try GitFixture()
        let repository = try Repository.open(at: fixture.path)
        let info = try repository.addWorktree(spec(fixture, 0, start: try repository.resolveBase(nil).commit))
        try fixture.write("scratch.txt", "keep me\n", root: info.path)
        let error = #expect(throws: GitError.self) { try repository.removeWorktree(named: info.name) }
        #expect(error?.message.contains("scratch.txt (untracked)") == true)
        #expect(FileManager.default.fileExists(atPath: info.path + "/scratch.txt"))
        try repository.removeWorktree(named: info.name, force: true)
        #expect(!FileManager.default.fileExists(atPath: info.path))
        #expect(try repository.worktrees().isEmpty)
        #expect(try repository.branchTip("conductor/b1/w0") != nil)
        #expect(!(try fixture.git(["worktree", "list", "--porcelain"]).contains(info.path)))
    }

    @Test func removesACleanWorktreeAndThenItsBranch() throws {
        let fixture = try GitFixture()
        let repository = try Repository.open(at: fixture.path)
        let base = try repository.resolveBase(nil)
        let info = try repository.addWorktree(spec(fixture, 0, start: base.commit))
        #expect(throws: GitError.self) { try repository.deleteBranch("conductor/b1/w0", base: base.commit) }
        try repository.removeWorktree(named: info.name)
        #expect(!FileManager.default.fileExists(atPath: info.path))
        try repository.deleteBranch("conductor/b1/w0", base: base.commit)
        #expect(try fixture.git(["branch", "--list", "conductor/*"]).isEmpty)
    }
}
