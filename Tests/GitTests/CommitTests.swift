import Foundation
import Git
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(3))) struct CommitTests {
    @Test func commitsNewModifiedAndDeletedFilesRespectingGitignore() throws {
        let fixture = try GitFixture()
        try fixture.write("old.txt", "old\n")
        try fixture.write(".gitignore", "*.log\n")
        try fixture.commit("setup")
        try fixture.write("README.md", "changed\n")
        try fixture.write("src/new.swift", "let x = 1\n")
        try fixture.write("build.log", "noise\n")
        try FileManager.default.removeItem(atPath: fixture.path + "/old.txt")

        let repository = try Repository.open(at: fixture.path)
        let commit = try #require(try repository.commitAll(
            message: "Task auth: review",
            trailers: [("Conductor-Batch", "b1"), ("Conductor-Task", "auth"), ("Conductor-Worker", "0")]))
        #expect(try fixture.revParse("HEAD") == commit.hex)
        let names = try fixture.git(["show", "--name-status", "--format=", "HEAD"])
        #expect(names == "M\tREADME.md\nD\told.txt\nA\tsrc/new.swift\n")
        #expect(try fixture.git(["status", "--porcelain", "--ignored"]) == "!! build.log\n")
        let trailers = try fixture.git(["log", "-1", "--format=%(trailers:key=Conductor-Task,valueonly)"])
        #expect(trailers.trimmingCharacters(in: .whitespacesAndNewlines) == "auth")
        #expect(try fixture.git(["log", "-1", "--format=%s"]) == "Task auth: review\n")
        #expect(try repository.commitSummary(commit).trailer("Conductor-Worker") == "0")
    }

    @Test func nothingChangedMakesNoCommit() throws {
        let fixture = try GitFixture()
        let before = try fixture.revParse("HEAD")
        #expect(try Repository.open(at: fixture.path).commitAll(message: "nothing") == nil)
        #expect(try fixture.revParse("HEAD") == before)
    }

    @Test func commitsInALinkedWorktreeMoveOnlyItsBranch() throws {
        let fixture = try GitFixture()
        let repository = try Repository.open(at: fixture.path)
        let base = try repository.resolveBase(nil)
        let info = try repository.addWorktree(WorktreeSpec(
            name: "w0", path: fixture.directory.appending("w0"), branch: "conductor/b/w0", startPoint: base.commit))
        try fixture.write("feature.txt", "feature\n", root: info.path)
        let commit = try Repository.open(at: info.path).commitAll(message: "feature")
        #expect(try fixture.revParse("conductor/b/w0") == commit?.hex)
        #expect(try fixture.revParse("main") == base.commit.hex)
        #expect(try fixture.git(["status", "--porcelain"], in: info.path).isEmpty)
    }

    @Test func fallsBackToADefaultIdentityWhenNoneIsUsable() throws {
        let fixture = try GitFixture()
        try fixture.git(["config", "user.name", ""])
        try fixture.write("x.txt", "x\n")
        try Repository.open(at: fixture.path).commitAll(message: "anonymous")
        let author = try fixture.git(["log", "-1", "--format=%an <%ae>"])
        #expect(author == "\(Repository.fallbackIdentity.name) <\(Repository.fallbackIdentity.email)>\n")
    }
}
