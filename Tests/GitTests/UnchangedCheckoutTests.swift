import Foundation
import Git
import Testing
import TestSupport

/// New worktrees copy the repository's own checkout when it is exactly their start commit: only
/// then, and then the copies are what a checkout makes.
@Suite(.timeLimit(.minutes(3))) struct UnchangedCheckoutTests {
    /// A repository without attributes whose checkout is settled (see `settle`): nested
    /// directories, an executable, a symlink and a submodule's gitlink.
    private func settledFixture() throws -> GitFixture {
        let fixture = try GitFixture()
        try fixture.write("src/deep/er/code.swift", "print(1)\n")
        try fixture.write("run.sh", "#!/bin/sh\necho hi\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fixture.path + "/run.sh")
        try FileManager.default.createSymbolicLink(atPath: fixture.path + "/latest", withDestinationPath: "src/deep")
        let commit = try fixture.commit("files")
        try fixture.git(["update-index", "--add", "--cacheinfo", "160000,\(commit),vendor/lib"])
        try fixture.git(["commit", "-q", "-m", "a submodule"])
        try FileManager.default.createDirectory(atPath: fixture.path + "/vendor/lib", withIntermediateDirectories: true)
        try settle(fixture)
        return fixture
    }

    /// Makes the index newer than every file's last change, as it is when nobody has just edited:
    /// waits for the file clock to tick past the last write, then has git record every file again.
    private func settle(_ fixture: GitFixture) throws {
        let probe = fixture.directory.appending("probe")
        func writtenAt() throws -> Date {
            try Data().write(to: URL(fileURLWithPath: probe))
            return try FileManager.default.attributesOfItem(atPath: probe)[.modificationDate] as! Date
        }
        let last = try writtenAt()
        while try writtenAt() <= last {}
        try fixture.git(["read-tree", "HEAD"])
        try fixture.git(["update-index", "-q", "--refresh"])
    }

    /// Rewrites `relative` with `contents` of the same size, then sets its modification time back
    /// to the nanosecond (`touch -r`): only its change time tells.
    private func rewriteKeepingSizeAndModificationTime(_ fixture: GitFixture, _ relative: String, _ contents: String) throws {
        let reference = fixture.directory.appending("reference")
        try #require(run(["touch", "-r", "\(fixture.path)/\(relative)", reference]).status == 0)
        try fixture.write(relative, contents)
        try #require(run(["touch", "-m", "-r", reference, "\(fixture.path)/\(relative)"]).status == 0)
    }

    /// Commits a change through libgit2, whose index keeps an entry recorded in the tick the
    /// index is written ("racily clean") with its size, where git would zero the size: the file's
    /// modification time is set an hour ahead, so the entry is recorded after its index.
    private func recordRacily(_ fixture: GitFixture) throws {
        try fixture.write("src/deep/er/code.swift", "print(4)\n")
        try #require(run(["touch", "-m", "-d", "+1 hour", fixture.path + "/src/deep/er/code.swift"]).status == 0)
        try #require(Repository.open(at: fixture.path).commitAll(message: "racy") != nil)
    }

    private func base(_ fixture: GitFixture) throws -> ObjectID {
        try Repository.open(at: fixture.path).resolveBase(nil).commit
    }

    @Test func aSettledCleanCheckoutOfTheCommitIsUnchanged() throws {
        let fixture = try settledFixture()
        try fixture.write("untracked.txt", "not in the index, never copied\n")
        #expect(try Repository.open(at: fixture.path).isUnchangedCheckout(of: base(fixture)))
    }

    @Test func aFileRewrittenWithItsSizeAndModificationTimeIsSeenByItsChangeTime() throws {
        let fixture = try settledFixture()
        try rewriteKeepingSizeAndModificationTime(fixture, "src/deep/er/code.swift", "print(2)\n")
        #expect(try fixture.git(["status", "--porcelain"]) == " M src/deep/er/code.swift\n", "git sees it by its change time too")
        #expect(try !Repository.open(at: fixture.path).isUnchangedCheckout(of: base(fixture)))
    }

    @Test func worktreesCopiedFromTheCheckoutAreWhatACheckoutMakes() throws {
        let fixture = try settledFixture()
        let start = try base(fixture)
        let specs = (0..<3).map { WorktreeSpec(name: "b1-w\($0)", path: fixture.directory.appending("work/w\($0)"), branch: "conductor/b1/w\($0)", startPoint: start) }
        let infos = try Repository.addWorktrees(specs, repositoryAt: fixture.path).map { try $0.get() }
        let cli = fixture.directory.appending("work/cli")
        try fixture.git(["worktree", "add", "-q", "--detach", cli])
        for info in infos {
            #expect(try worktreeSnapshot(info.path) == worktreeSnapshot(cli))
            #expect(try fixture.git(["status", "--porcelain"], in: info.path).isEmpty)
            #expect(try Repository.open(at: info.path).uncommittedChanges().isEmpty)
        }
        // Files of their own, not links to the repository's.
        try fixture.write("src/deep/er/code.swift", "print(3)\n", root: infos[0].path)
        #expect(try fixture.read("src/deep/er/code.swift") == "print(1)\n")
    }

    @Test func worktreesGetTheCommitsFilesWhateverTheCheckoutHolds() throws {
        let fixture = try settledFixture()
        let start = try base(fixture)
        try rewriteKeepingSizeAndModificationTime(fixture, "src/deep/er/code.swift", "print(2)\n")
        let specs = (0..<2).map { WorktreeSpec(name: "b1-w\($0)", path: fixture.directory.appending("work/w\($0)"), branch: "conductor/b1/w\($0)", startPoint: start) }
        for info in try Repository.addWorktrees(specs, repositoryAt: fixture.path).map({ try $0.get() }) {
            #expect(try fixture.read("src/deep/er/code.swift", root: info.path) == "print(1)\n")
        }
    }

    @Test(arguments: ["staged", "moved HEAD", "racy", "gitattributes", "info/attributes", "autocrlf"])
    func aCheckoutThatMayDifferFromTheCommitIsNotCopied(_ difference: String) throws {
        let fixture = try settledFixture()
        let start = try base(fixture)
        switch difference {
        case "staged":
            try fixture.write("extra.txt", "x\n")
            try fixture.git(["add", "extra.txt"])
        case "moved HEAD":
            try fixture.git(["commit", "-q", "--allow-empty", "-m", "later"])
        case "racy":
            try recordRacily(fixture)
        case "gitattributes":
            try fixture.write("src/.gitattributes", "*.swift text eol=crlf\n")
            try fixture.commit("attributes")
            try settle(fixture)
        case "info/attributes":
            try fixture.write("info/attributes", "* text=auto\n", root: fixture.path + "/.git")
        default:
            try fixture.git(["config", "core.autocrlf", "true"])
        }
        let current = ["gitattributes", "racy"].contains(difference) ? try base(fixture) : start
        #expect(try !Repository.open(at: fixture.path).isUnchangedCheckout(of: current))
    }

    @Test(arguments: ["staged", "racy"])
    func aCheckoutThatChangedAfterItWasCheckedIsNotCopied(_ change: String) throws {
        let fixture = try settledFixture()
        let repository = try Repository.open(at: fixture.path)
        #expect(repository.isUnchangedCheckout(of: try base(fixture)))
        if change == "staged" {
            try fixture.write("extra.txt", "x\n")
            try fixture.git(["add", "extra.txt"])
        } else {
            try recordRacily(fixture)
        }
        let start = try change == "staged" ? base(fixture) : ObjectID(hex: fixture.revParse("HEAD"))
        let spec = WorktreeSpec(name: "b1-w0", path: fixture.directory.appending("work/w0"), branch: "conductor/b1/w0", startPoint: start)
        try repository.createBranch(spec.branch, at: start)
        #expect(throws: GitError.self) {
            try repository.addWorktree(onExistingBranch: spec, copying: fixture.path, trustsRacyEntries: false)
        }
        #expect(!FileManager.default.fileExists(atPath: spec.path))
        #expect(try repository.worktree(named: spec.name) == nil)
    }
}
