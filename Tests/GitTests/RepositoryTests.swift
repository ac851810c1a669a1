import Foundation
import Git
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(3))) struct RepositoryTests {
    @Test func opensFromASubdirectoryAndResolvesTheCurrentBranch() throws {
        let fixture = try GitFixture()
        try fixture.write("src/deep/file.txt", "x\n")
        let repository = try Repository.open(at: fixture.path + "/src/deep")
        #expect(repository.workingDirectory == fixture.path)
        #expect(repository.commonDirectory == fixture.path + "/.git")
        let base = try repository.resolveBase(nil)
        #expect(base.branch == "main")
        #expect(base.commit.hex == (try fixture.revParse("main")))
    }

    @Test func resolvesANamedBaseBranch() throws {
        let fixture = try GitFixture()
        try fixture.git(["branch", "develop"])
        try fixture.write("more.txt", "more\n")
        try fixture.commit("more")
        let base = try Repository.open(at: fixture.path).resolveBase("develop")
        #expect(base.commit.hex == (try fixture.revParse("develop")))
        #expect(base.commit.hex != (try fixture.revParse("main")))
    }

    @Test func aMissingBaseBranchListsTheBranchesThatExist() throws {
        let fixture = try GitFixture()
        let error = #expect(throws: GitError.self) { try Repository.open(at: fixture.path).resolveBase("nope") }
        #expect(error?.message.contains("'nope' is not a branch, tag or commit") == true)
        #expect(error?.message.contains("branches: main") == true)
    }

    @Test func aBaseMayBeAnyCommitishAUserWouldType() throws {
        let fixture = try GitFixture()
        let first = try fixture.revParse("HEAD")
        try fixture.git(["tag", "v1"])
        try fixture.write("more.txt", "more\n")
        try fixture.commit("more")
        try fixture.git(["update-ref", "refs/remotes/origin/main", first])
        let repository = try Repository.open(at: fixture.path)
        for revision in ["origin/main", "v1", first, String(first.prefix(10)), "main~1"] {
            let base = try repository.resolveBase(revision)
            #expect(base.commit.hex == first, "\(revision)")
            #expect(base.branch == revision, "the base is kept as the user wrote it")
        }
    }

    @Test func aPathOutsideAnyRepositoryIsAClearError() throws {
        let directory = TemporaryDirectory()
        let error = #expect(throws: GitError.self) { try Repository.open(at: directory.path) }
        #expect(error?.message.contains("is not inside a git repository") == true)
        let missing = #expect(throws: GitError.self) { try Repository.open(at: directory.appending("absent")) }
        #expect(missing?.message.contains("does not exist") == true)
    }

    @Test func aBareRepositoryIsRefused() throws {
        let fixture = try GitFixture(bare: true)
        let error = #expect(throws: GitError.self) { try Repository.open(at: fixture.path) }
        #expect(error?.message.contains("bare repository") == true)
    }

    @Test func anEmptyRepositoryHasNoBase() throws {
        let fixture = try GitFixture(empty: true)
        let repository = try Repository.open(at: fixture.path)
        #expect(repository.isEmpty)
        let error = #expect(throws: GitError.self) { try repository.resolveBase(nil) }
        #expect(error?.message.contains("has no commits yet") == true)
    }

    @Test func aDetachedHeadAsksForABranch() throws {
        let fixture = try GitFixture()
        try fixture.git(["checkout", "-q", "--detach"])
        let error = #expect(throws: GitError.self) { try Repository.open(at: fixture.path).resolveBase(nil) }
        #expect(error?.message.contains("detached") == true)
        #expect(try Repository.open(at: fixture.path).resolveBase("main").branch == "main")
    }

    @Test func libgit2ErrorsCarryTheOperationCodeAndClass() throws {
        let fixture = try GitFixture()
        let error = #expect(throws: GitError.self) { try Repository.open(at: fixture.path).resolveCommit("no-such-rev") }
        #expect(error?.operation == "git_revparse_single(no-such-rev)")
        #expect(error?.code == -3)
        #expect(error?.errorClass != 0)
        #expect(error?.description.contains("libgit2 code -3") == true)
    }

    @Test func branchNamesAreValidatedAsGitDoes() {
        #expect(Repository.isValidBranchName("conductor/b1/w0"))
        #expect(!Repository.isValidBranchName("bad..name"))
        #expect(!Repository.isValidBranchName("ends.lock"))
        #expect(!Repository.isValidBranchName("has space"))
    }
}
