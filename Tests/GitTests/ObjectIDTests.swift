import Git
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(3))) struct ObjectIDTests {
    private let hex = "0123456789abcdef0123456789abcdef01234567"

    @Test(arguments: ["", "0123456", "not a commit id", String(repeating: "g", count: 40),
                      "0123456789abcdef0123456789abcdef012345678", "0123456789abcdef0123456789abcdef01234567\n"])
    func badHexThrows(_ text: String) {
        #expect(throws: GitError.self) { try ObjectID(hex: text) }
    }

    @Test func hexRoundTripsThroughTheBinaryID() throws {
        let id = try ObjectID(hex: hex)
        #expect(id.hex == hex)
        #expect(id.short == "0123456")
        #expect(id.description == hex)
        #expect(try ObjectID(hex: id.hex) == id)
        #expect(try ObjectID(hex: hex.uppercased()).hex == hex)
    }

    @Test func equalIDsHashAlikeAndDifferentOnesDiffer() throws {
        let id = try ObjectID(hex: hex)
        let other = try ObjectID(hex: String(repeating: "f", count: 40))
        #expect(Set([id, try ObjectID(hex: hex), other]) == [id, other])
        #expect(id != other)
    }

    @Test func idsReadFromTheRepositoryMatchGit() throws {
        let fixture = try GitFixture()
        let repository = try Repository.open(at: fixture.path)
        let head = try #require(try repository.branchTip("main"))
        #expect(head.hex == (try fixture.revParse("HEAD")))
        #expect(try repository.commitSummary(head).id == head)
    }
}
