import Foundation
import Git
import Testing
import TestSupport

/// The Git layer touches only the worktree entries it is told about, and removes a worktree only
/// after checking it as `git worktree remove` does.
@Suite(.timeLimit(.minutes(3))) struct WorktreeSafetyTests {
    private func spec(_ fixture: GitFixture, _ index: Int, start: ObjectID?, root: String? = nil) -> WorktreeSpec {
        WorktreeSpec(
            name: "b1-w\(index)", path: (root ?? fixture.directory.appending("work/b1/repo")) + "/w\(index)",
            branch: "conductor/b1/w\(index)", startPoint: start)
    }

    /// A worktree of the user's, made by the git CLI, whose directory has gone (an unplugged disk),
    /// with a commit only its detached HEAD names. Returns its admin entry.
    private func usersUnpluggedWorktree(_ fixture: GitFixture) throws -> (entry: String, head: String) {
        let path = fixture.directory.appending("usb/feature")
        try fixture.git(["worktree", "add", "-q", "--detach", path])
        try fixture.write("feature.txt", "work\n", root: path)
        let head = try fixture.commit("only the detached HEAD names this", in: path)
        try FileManager.default.removeItem(atPath: fixture.directory.appending("usb"))
        return (fixture.path + "/.git/worktrees/feature", head)
    }

    @Test func aUsersStaleEntrySurvivesAddingMovingAndDeletingBranches() throws {
        let fixture = try GitFixture()
        let user = try usersUnpluggedWorktree(fixture)
        let halfWritten = fixture.path + "/.git/worktrees/half"
        try FileManager.default.createDirectory(atPath: halfWritten, withIntermediateDirectories: true)
        try "ref: refs/heads/main\n".write(toFile: halfWritten + "/HEAD", atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: halfWritten)
        let repository = try Repository.open(at: fixture.path)
        let base = try repository.resolveBase(nil).commit
        let single = try repository.addWorktree(spec(fixture, 0, start: base))
        let parallel = try Repository.addWorktrees([spec(fixture, 1, start: base), spec(fixture, 2, start: base)], repositoryAt: fixture.path)
        #expect(parallel.allSatisfy { (try? $0.get()) != nil }, "\(parallel)")
        try repository.removeWorktree(named: single.name)
        try repository.deleteBranch("conductor/b1/w0", base: base)
        try repository.setBranch("conductor/b1/merged", to: base)
        try repository.setBranch("conductor/b1/merged", to: try ObjectID(hex: user.head))
        #expect(try repository.pruneStaleWorktreeEntries(named: ["b1-w1", "b1-w2"]).isEmpty)
        #expect(try String(contentsOfFile: user.entry + "/HEAD", encoding: .utf8).hasPrefix(user.head))
        #expect(try repository.worktrees().contains { $0.name == "feature" && !$0.isValid })
        #expect(FileManager.default.fileExists(atPath: halfWritten + "/HEAD"), "libgit2 1.5.1 is not misled by it either")
    }

    @Test func onlyNamedStaleEntriesAreCleaned() throws {
        let fixture = try GitFixture()
        let user = try usersUnpluggedWorktree(fixture)
        let repository = try Repository.open(at: fixture.path)
        let ours = try repository.addWorktree(spec(fixture, 0, start: try repository.resolveBase(nil).commit))
        try FileManager.default.removeItem(atPath: ours.path)
        #expect(try repository.pruneStaleWorktreeEntries(named: ["b1-w0", "b1-w9"], dryRun: true) == ["b1-w0"])
        #expect(try repository.pruneStaleWorktreeEntries(named: ["b1-w0"]) == ["b1-w0"])
        #expect(try repository.worktrees().map(\.name) == ["feature"])
        #expect(FileManager.default.fileExists(atPath: user.entry))
    }

    @Test func aWorktreeWithSubmodulesIsRemovedOnlyWhenForced() throws {
        let fixture = try GitFixture()
        let library = try GitFixture()
        let allowFile = ["-c", "protocol.file.allow=always"]
        try fixture.git(allowFile + ["submodule", "add", "-q", library.path, "lib"])
        try fixture.commit("add lib")
        let repository = try Repository.open(at: fixture.path)
        let info = try repository.addWorktree(spec(fixture, 0, start: try repository.resolveBase(nil).commit))
        try fixture.git(allowFile + ["submodule", "update", "-q", "--init"], in: info.path)
        try fixture.write("fix.txt", "fix\n", root: info.path + "/lib")
        let fix = try fixture.commit("fix in the submodule", in: info.path + "/lib")
        try fixture.commit("bump lib", in: info.path)
        #expect(try Repository.open(at: info.path).uncommittedChanges().isEmpty)

        #expect(try repository.removalBlockers(ofWorktree: info.name) == [.submodules(["lib"])])
        let error = #expect(throws: GitError.self) { try repository.removeWorktree(named: info.name) }
        #expect(error?.message.contains("submodule") == true)
        #expect(try fixture.git(["cat-file", "-t", fix], in: info.path + "/lib") == "commit\n")
        try repository.removeWorktree(named: info.name, force: true)
        #expect(!FileManager.default.fileExists(atPath: info.path))
    }

    @Test func aWorktreeWhoseGitFileIsGoneIsNeverCheckedAsTheRepositoryAroundIt() throws {
        let fixture = try GitFixture()
        let outer = fixture.directory.appending("outer")
        try FileManager.default.createDirectory(atPath: outer, withIntermediateDirectories: true)
        try fixture.git(["init", "-q", "-b", "main"], in: outer)
        try fixture.write(".gitignore", "trees/\n", root: outer)
        try fixture.commit("ignore the worktrees", in: outer)
        let repository = try Repository.open(at: fixture.path)
        let info = try repository.addWorktree(spec(fixture, 0, start: try repository.resolveBase(nil).commit, root: outer + "/trees"))
        try fixture.write("notes.txt", "unsaved\n", root: info.path)
        try FileManager.default.removeItem(atPath: info.path + "/.git")

        let blockers = try repository.removalBlockers(ofWorktree: info.name)
        #expect(blockers.count == 1)
        guard case .unreadable(let why) = blockers.first else { Issue.record("\(blockers)"); return }
        #expect(why.contains(".git"))
        #expect(throws: GitError.self) { try repository.removeWorktree(named: info.name) }
        #expect(throws: GitError.self) { try repository.removeWorktree(named: info.name, force: true) }
        #expect(FileManager.default.fileExists(atPath: info.path + "/notes.txt"))
    }

    @Test func workRecordedOnlyByARefIsUnmergedUntilTheBaseHasIt() throws {
        let fixture = try GitFixture()
        let repository = try Repository.open(at: fixture.path)
        let base = try repository.resolveBase(nil).commit
        try fixture.git(["switch", "-q", "-c", "topic"])
        try fixture.write("a.txt", "a\n")
        let first = try ObjectID(hex: try fixture.commit("a"))
        try fixture.write("b.txt", "b\n")
        let lost = try ObjectID(hex: try fixture.commit("b"))
        try fixture.git(["reset", "-q", "--hard", "HEAD~1"])
        try fixture.git(["update-ref", "refs/conductor/b1/w0/1-a", first.hex])
        try fixture.git(["update-ref", "refs/conductor/b1/w0/2-b", lost.hex])
        try fixture.git(["switch", "-q", "main"])

        #expect(try repository.references(prefix: "refs/conductor/b1/w0/").map(\.name) == ["refs/conductor/b1/w0/1-a", "refs/conductor/b1/w0/2-b"])
        #expect(try repository.mergeState(of: [first, first, lost], into: base) == .unmerged(commitsAhead: 2))
        try fixture.git(["merge", "-q", "--ff-only", "topic"])
        let merged = try ObjectID(hex: try fixture.revParse("main"))
        #expect(try repository.mergeState(of: [first, lost], into: merged) == .unmerged(commitsAhead: 1))
        let error = #expect(throws: GitError.self) {
            try repository.deleteBranch("topic", base: merged, references: ["refs/conductor/b1/w0/1-a", "refs/conductor/b1/w0/2-b"])
        }
        #expect(error?.message.contains("refs/conductor/b1/w0/2-b") == true)
        try fixture.git(["cherry-pick", "-x", lost.hex])
        let picked = try ObjectID(hex: try fixture.revParse("main"))
        #expect(try repository.mergeState(of: [first, lost], into: picked) == .squashMerged)
        try repository.deleteBranch("topic", base: picked, references: ["refs/conductor/b1/w0/1-a", "refs/conductor/b1/w0/2-b"])
        #expect(try repository.references(prefix: "refs/conductor/").isEmpty)
        #expect(try repository.branchTip("topic") == nil)
    }
}

/// A worktree conductor made keeps working, as one git made does, after its repository moves.
@Suite(.timeLimit(.minutes(3))) struct MovedRepositoryTests {
    @Test func gitRepairsTheWorktreesOfAMovedRepository() throws {
        let fixture = try GitFixture()
        let repository = try Repository.open(at: fixture.path)
        let path = fixture.directory.appending("wt")
        try repository.addWorktree(WorktreeSpec(name: "wt", path: path, branch: "feature", startPoint: try #require(try repository.headCommit())))
        #expect(try String(contentsOfFile: fixture.path + "/.git/worktrees/wt/commondir", encoding: .utf8) == "../..\n", "relative, as git writes it")
        let moved = fixture.directory.appending("moved")
        try FileManager.default.moveItem(atPath: fixture.path, toPath: moved)
        try fixture.git(["worktree", "repair"], in: moved)
        #expect(try fixture.git(["status", "--porcelain"], in: path).isEmpty, "the worktree works again")
        #expect(try Repository.open(at: moved).worktree(named: "wt")?.isValid == true)
    }
}
