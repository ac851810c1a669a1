import Conductor
import Foundation
import Testing
import TestSupport

/// `GitCredentialHelper` asks git's credential helpers as `git push` would, here the `store`
/// helper with a file of its own. What cannot run here: an https server asking for the password
/// (libgit2's credential callback calling this helper), and the ssh agent.
@Suite(.timeLimit(.minutes(3))) struct CredentialHelperTests {
    private let directory = TemporaryDirectory("conductor-credentials")
    private var store: String { directory.appending("store") }

    private func helper() throws -> GitCredentialHelper {
        let config = directory.appending("gitconfig")
        try "[credential]\n\thelper = store --file=\(store)\n".write(toFile: config, atomically: true, encoding: .utf8)
        return GitCredentialHelper(directory: directory.path, environment: [
            "HOME": directory.path, "GIT_CONFIG_GLOBAL": config, "GIT_CONFIG_NOSYSTEM": "1",
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ])
    }

    private func stored() -> String { (try? String(contentsOfFile: store, encoding: .utf8)) ?? "" }

    @Test func fillsFromTheHelperAndTellsItWhetherThePasswordWorked() throws {
        try "https://alice:s3cret@example.com\n".write(toFile: store, atomically: true, encoding: .utf8)
        let helper = try helper()
        let url = "https://example.com/owner/repo.git"

        let found = try #require(helper.password(for: url, username: nil))
        #expect(found == UserPassword(username: "alice", password: "s3cret"))

        helper.passwordWorked(found, for: url, false)
        #expect(!stored().contains("alice"), "\(stored())")

        helper.passwordWorked(UserPassword(username: "bob", password: "pw 2"), for: url, true)
        #expect(stored().contains("https://bob:pw%202@example.com"), "\(stored())")
    }

    @Test func withoutStoredCredentialsItNeitherPromptsNorHangs() throws {
        let helper = try helper()
        #expect(helper.password(for: "https://example.com/owner/repo.git", username: "carol") == nil)
    }
}
