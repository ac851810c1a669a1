import Conductor
import Foundation
import Testing
import TestSupport

/// Bad tasks files and bad repositories: exit 2, one line per problem naming the task and the
/// field, and nothing created on disk.
@Suite(.timeLimit(.minutes(3))) struct BatchValidationTests {
    /// A tasks file and a fragment the error must contain.
    static let cases: [(String, String)] = [
        ("{", "is not valid JSON"),
        ("[]", "\"tasks\" is empty"),
        (#"{"tasks": [{"prompt": ""}]}"#, "field \"prompt\" is empty"),
        (#"{"tasks": [{"prompt": "x", "command": "y"}]}"#, "has both \"prompt\" and \"command\""),
        (#"{"tasks": [{"id": "same", "prompt": "x"}, {"id": "same", "prompt": "y"}]}"#, "already used by task 1"),
        (#"{"tasks": [{"id": "../../etc", "prompt": "x"}]}"#, "field \"id\""),
        (#"{"tasks": [{"prompt": "x", "timeout": "soon"}]}"#, "field \"timeout\""),
        (#"{"tasks": [{"prompt": "x", "colour": "red"}]}"#, "unknown field \"colour\""),
        (#"{"tasks": [{"prompt": "x"}], "workers": "three"}"#, "field \"workers\""),
        (#"{"tasks": [{"prompt": "x", "repo": "not-a-repo"}]}"#, "field \"repo\" 'not-a-repo'"),
        (#"{"tasks": [{"prompt": "x", "repo": "missing-dir"}]}"#, "does not exist"),
        (#"{"tasks": [{"prompt": "x", "repo": "empty-repo"}]}"#, "has no commits yet"),
        (#"{"tasks": [{"prompt": "x", "repo": "bare-repo"}]}"#, "bare repository"),
        (#"{"repo": "app", "base": "no-such-branch", "tasks": [{"prompt": "x"}]}"#, "'no-such-branch' is not a branch, tag or commit"),
        (#"{"repo": "app", "tasks": [{"prompt": 42}]}"#, "got number 42"),
    ]

    @Test(arguments: cases)
    func badInputExitsTwoNamingTheFieldAndCreatesNothing(json: String, expected: String) throws {
        let fixture = try BatchFixture()
        try fixture.makeRepository("app")
        try FileManager.default.createDirectory(atPath: fixture.directory.appending("not-a-repo"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: fixture.directory.appending("empty-repo"), withIntermediateDirectories: true)
        try fixture.git(fixture.directory.appending("empty-repo"), ["init", "-q", "-b", "main"])
        try FileManager.default.createDirectory(atPath: fixture.directory.appending("bare-repo"), withIntermediateDirectories: true)
        try fixture.git(fixture.directory.appending("bare-repo"), ["init", "-q", "--bare"])
        let file = try fixture.tasksFile(json)
        let result = try fixture.conductor(["batch", "--worktrees", "-d", fixture.store, file], in: fixture.directory.appending("app"))
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains(expected), "\(result.stderr)")
        #expect(result.stderr.contains(file), "the message names the file: \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fixture.store))
        #expect(try fixture.git(fixture.directory.appending("app"), ["branch", "--list", "conductor/*"]).isEmpty)
    }

    @Test func aBadBatchNameAndAMissingAgentAreBadInputToo() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let file = try fixture.tasksFile(#"{"tasks": [{"prompt": "x"}]}"#)
        let badName = try fixture.conductor(["batch", "-d", fixture.store, "--name", "no/slash", file], in: app)
        #expect(badName.status == 2)
        #expect(badName.stderr.contains("cannot be a batch name"))
        let noAgent = try fixture.conductor(["batch", "-d", fixture.store, "--agent-cmd", "/nonexistent/agent {prompt}", file], in: app)
        #expect(noAgent.status == 2)
        #expect(noAgent.stderr.contains("/nonexistent/agent"))
        #expect(!FileManager.default.fileExists(atPath: fixture.store))
    }
}
