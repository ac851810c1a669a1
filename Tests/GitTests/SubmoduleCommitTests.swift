import Foundation
import Git
import Testing
import TestSupport

/// A registered submodule whose commit moved is recorded as `git add -A` records it, not taken
/// for a nested repository and left out.
@Suite(.timeLimit(.minutes(3))) struct SubmoduleCommitTests {
    @Test func aSubmodulesNewCommitIsCommittedWithoutAWarning() throws {
        let fixture = try GitFixture()
        let library = try GitFixture()
        try fixture.git(["-c", "protocol.file.allow=always", "submodule", "add", "-q", library.path, "lib"])
        try fixture.commit("add lib")
        try fixture.write("lib/more.txt", "more\n")
        let moved = try fixture.commit("more in lib", in: fixture.path + "/lib")
        var skipped: [String] = []
        let commit = try Repository.open(at: fixture.path).commitAll(message: "bump lib") { skipped.append($0) }
        #expect(skipped.isEmpty, "a submodule is not a stray nested repository: \(skipped)")
        let recorded = try fixture.git(["ls-tree", try #require(commit).hex, "lib"])
        #expect(recorded.contains("160000 commit \(moved)"), "\(recorded)")
    }
}
