import Conductor
import Foundation
import Testing
import TestSupport

/// Temporary repositories, a batch directory and a private HOME, for running `conductor batch`
/// and friends as a user would, with the stand-in agent.
final class BatchFixture: @unchecked Sendable {
    let directory = TemporaryDirectory("conductor-batch")
    /// `-d` for every command.
    var store: String { directory.appending("work") }
    let environment: [String: String]

    init() throws {
        try FileManager.default.createDirectory(atPath: directory.appending("home"), withIntermediateDirectories: true)
        environment = [
            "HOME": directory.appending("home"),
            "CONDUCTOR_AGENT_CMD": Binaries.fakeClaudeCommand,
            "FAKE_CLAUDE_STATE": directory.appending("agent-state"),
            "CONDUCTOR_WATCH": "inotify",
        ]
    }

    /// Makes a repository `name` (branch main, a few commits) next to the tasks files.
    @discardableResult
    func makeRepository(_ name: String) throws -> String {
        let path = directory.appending(name)
        let made = try run(["bash", Binaries.fixtures + "/make-repo.sh", path])
        guard made.status == 0 else { throw FixtureError("make-repo.sh failed: \(made.stderr)") }
        return path
    }

    /// Writes a tasks file next to the repositories and returns its path.
    func tasksFile(_ json: String, name: String = "tasks.json") throws -> String {
        let path = directory.appending(name)
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Runs `conductor` in the fixture directory with `-d` where the command takes it.
    func conductor(_ arguments: [String], in workingDirectory: String? = nil) throws -> RunResult {
        try run([Binaries.conductor] + arguments, in: workingDirectory ?? directory.path, environment: environment)
    }

    /// Runs git in `repository` and returns stdout; throws on failure.
    @discardableResult
    func git(_ repository: String, _ arguments: [String]) throws -> String {
        let result = try run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.com"] + arguments, in: repository)
        guard result.status == 0 else { throw RunFailure(command: ["git"] + arguments, result: result) }
        return result.stdout
    }

    /// Runs a worktree batch named `name` in `repository` with one `echo` task per worker, and
    /// checks that it succeeded.
    func runEchoBatch(in repository: String, name: String, workers: Int) throws {
        let tasks = (0..<workers).map { #"{"id": "t\#($0)", "command": "echo \#($0) > task\#($0).txt"}"# }
        let file = try tasksFile(#"{"tasks": [\#(tasks.joined(separator: ", "))]}"#, name: "\(name).json")
        let batch = try conductor(["batch", "--worktrees", "-w", String(workers), "-d", store, "--name", name, file], in: repository)
        #expect(batch.status == 0, "\(batch.stderr)")
    }

    /// The fixture's environment with `programs` (a name on PATH, and the file it runs) first on
    /// PATH, e.g. `["codex": Binaries.fixtures + "/fake-agent"]` for the Codex stand-in.
    func environment(withPrograms programs: [String: String]) throws -> [String: String] {
        let bin = directory.appending("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        for (name, target) in programs where !FileManager.default.fileExists(atPath: "\(bin)/\(name)") {
            try FileManager.default.createSymbolicLink(atPath: "\(bin)/\(name)", withDestinationPath: target)
        }
        return environment.merging(["PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")]) { $1 }
    }

    /// Decodes `batch --json` output.
    func batchJSON(_ output: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] ?? [:]
    }
}

extension BatchFixture {
    /// The fixture's environment with a tmux server of its own (`TMUX_TMPDIR` in the fixture's directory).
    var tmuxEnvironment: [String: String] { environment.merging(["TMUX_TMPDIR": directory.path, "TMUX": ""]) { $1 } }

    /// Launches session `name` with worktrees and `workers` workers on `repository`, detached, on the
    /// fixture's own tmux server, and waits until its workers live. The caller ends the server
    /// (`tmux kill-server` with `tmuxEnvironment`).
    func launchSession(_ name: String, workers: Int, in repository: String) throws {
        let launch = try run([Binaries.conductor, "launch", "-w", String(workers), "--worktrees", "-n", name, "-d", store, "--no-attach"],
                             in: repository, environment: tmuxEnvironment)
        #expect(launch.status == 0, "\(launch.stderr)")
        let queue = QueueRoot(path: "\(store)/\(name)/queue")
        #expect(waitUntil { QueueSnapshot.read(queue).workers.filter(\.alive).count == workers })
    }
}
