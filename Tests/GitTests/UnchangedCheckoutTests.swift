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
        let fixture = try GitFixture.withEveryEntryKind(convertingLineEndings: false)
        try FileManager.default.createDirectory(atPath: fixture.path + "/vendor/lib", withIntermediateDirectories: true)
        try settle(fixture)
        return fixture
    }

    /// Makes the index newer than every file's last change, as it is when nobody has just edited:
    /// waits for the file clock to tick past the last write, then has git record every file again
    /// (or, given git `options`, only refresh the index under them: then the wait is for the next
    /// second, as this git, built without nanosecond times, takes an entry of the index's second
    /// for racily clean and reads its file again).
    private func settle(_ fixture: GitFixture, refreshing options: [String]? = nil) throws {
        let probe = fixture.directory.appending("probe")
        func writtenAt() throws -> TimeInterval {
            try Data().write(to: URL(fileURLWithPath: probe))
            let time = (try FileManager.default.attributesOfItem(atPath: probe)[.modificationDate] as! Date).timeIntervalSince1970
            return options == nil ? time : time.rounded(.down)
        }
        let last = try writtenAt()
        while try writtenAt() <= last {}
        if let options {
            try fixture.git(options + ["update-index", "-q", "--refresh", "--force-write-index"])
            return
        }
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
        #expect(try Repository.open(at: fixture.path).unchangedCheckoutFiles(of: base(fixture)) != nil)
    }

    @Test func aFileRewrittenWithItsSizeAndModificationTimeIsSeenByItsChangeTime() throws {
        let fixture = try settledFixture()
        try rewriteKeepingSizeAndModificationTime(fixture, "src/deep/er/code.swift", "print(2)\n")
        #expect(try fixture.git(["status", "--porcelain"]) == " M src/deep/er/code.swift\n", "git sees it by its change time too")
        #expect(try Repository.open(at: fixture.path).unchangedCheckoutFiles(of: base(fixture)) == nil)
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

    @Test(arguments: ["staged", "moved HEAD", "racy", "gitattributes", "info/attributes", "autocrlf", "autocrlf without a value",
                      "assume-unchanged", "bytes of other line-ending rules"])
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
        case "autocrlf":
            try fixture.git(["config", "core.autocrlf", "true"])
        case "autocrlf without a value":
            let config = FileHandle(forWritingAtPath: fixture.path + "/.git/config")!
            config.seekToEndOfFile()
            config.write(Data("[core]\n\tautocrlf\n".utf8))
            config.closeFile()
            #expect(try fixture.git(["config", "--bool", "core.autocrlf"]) == "true\n", "git reads it as true")
        case "assume-unchanged":
            try fixture.git(["update-index", "--assume-unchanged", "run.sh"])
        default:
            // Checked out under `core.autocrlf=true`, which is off again: git finds the file clean by
            // its stat, yet its bytes (CRLF) are not the blob's (LF), which a checkout now writes.
            try FileManager.default.removeItem(atPath: fixture.path + "/src/deep/er/code.swift")
            try fixture.git(["-c", "core.autocrlf=true", "checkout", "--", "src/deep/er/code.swift"])
            try settle(fixture, refreshing: ["-c", "core.autocrlf=true"])
            #expect(try fixture.read("src/deep/er/code.swift") == "print(1)\r\n")
            let status = try fixture.git(["status", "--porcelain"])
            #expect(status.isEmpty, "git trusts the stat: \(status)")
        }
        let current = ["gitattributes", "racy"].contains(difference) ? try base(fixture) : start
        #expect(try Repository.open(at: fixture.path).unchangedCheckoutFiles(of: current) == nil)
    }

    /// The files are hashed on every core: a file whose bytes are not its blob's is found wherever
    /// it sits among many.
    @Test(arguments: ["a0000.txt", "m0150.txt", "z0299.txt"])
    func aFileOfOtherBytesIsFoundAmongMany(_ name: String) throws {
        let fixture = try GitFixture.withEveryEntryKind(convertingLineEndings: false)
        for index in 0..<300 {
            let prefix = index == 0 ? "a" : index == 299 ? "z" : "m"
            try fixture.write(String(format: "%@%04d.txt", prefix, index), "line \(index)\n")
        }
        try fixture.commit("many files")
        // As in `aCheckoutThatMayDifferFromTheCommitIsNotCopied`: checked out with CRLF, which git
        // trusts by its stat once `core.autocrlf` is off again.
        try FileManager.default.removeItem(atPath: "\(fixture.path)/\(name)")
        try fixture.git(["-c", "core.autocrlf=true", "checkout", "--", name])
        try settle(fixture, refreshing: ["-c", "core.autocrlf=true"])
        #expect(try fixture.read(name).hasSuffix("\r\n"))
        #expect(try fixture.git(["status", "--porcelain"]).isEmpty)
        #expect(try Repository.open(at: fixture.path).unchangedCheckoutFiles(of: base(fixture)) == nil)
    }

    /// Every copy reads the checkout's index once, before any file is copied: a file rewritten
    /// after that (only its change time tells) is found by its stat as it is copied.
    @Test func filesRewrittenAfterTheirIndexWasReadAreNotCopied() throws {
        let fixture = try settledFixture()
        let repository = try Repository.open(at: fixture.path)
        let start = try base(fixture)
        let files = try #require(repository.unchangedCheckoutFiles(of: start))
        try rewriteKeepingSizeAndModificationTime(fixture, "src/deep/er/code.swift", "print(2)\n")
        let spec = WorktreeSpec(name: "b1-w0", path: fixture.directory.appending("work/w0"), branch: "conductor/b1/w0", startPoint: start)
        try repository.createBranch(spec.branch, at: start)
        #expect(throws: GitError.self) { try repository.addWorktree(onExistingBranch: spec, copying: files) }
        #expect(!FileManager.default.fileExists(atPath: spec.path))
        #expect(try repository.worktree(named: spec.name) == nil)
    }

    @Test(arguments: ["staged", "racy", "link retargeted"])
    func aCheckoutThatChangedAfterItWasCheckedIsNotCopied(_ change: String) throws {
        let fixture = try settledFixture()
        let repository = try Repository.open(at: fixture.path)
        #expect(repository.unchangedCheckoutFiles(of: try base(fixture)) != nil)
        switch change {
        case "staged":
            try fixture.write("extra.txt", "x\n")
            try fixture.git(["add", "extra.txt"])
        case "link retargeted":
            try FileManager.default.removeItem(atPath: fixture.path + "/latest")
            try FileManager.default.createSymbolicLink(atPath: fixture.path + "/latest", withDestinationPath: "src/deeq")
        default:
            try recordRacily(fixture)
        }
        let start = try change == "racy" ? ObjectID(hex: fixture.revParse("HEAD")) : base(fixture)
        let spec = WorktreeSpec(name: "b1-w0", path: fixture.directory.appending("work/w0"), branch: "conductor/b1/w0", startPoint: start)
        try repository.createBranch(spec.branch, at: start)
        #expect(throws: GitError.self) {
            try repository.addWorktree(onExistingBranch: spec, copying: Repository.open(at: fixture.path).checkoutFiles(of: start, trustsRacyEntries: false))
        }
        #expect(!FileManager.default.fileExists(atPath: spec.path))
        #expect(try repository.worktree(named: spec.name) == nil)
    }
}
