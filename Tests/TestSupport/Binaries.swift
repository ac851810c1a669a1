import Foundation

/// Paths of the things end-to-end tests run: the built `conductor` and the repository's fixtures.
public enum Binaries {
    /// The repository root, found from this source file.
    public static let repositoryRoot: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }()

    /// `fixtures/` in the repository.
    public static var fixtures: String { repositoryRoot + "/fixtures" }

    /// The stand-in for `claude -p --output-format json`.
    public static var fakeClaude: String { fixtures + "/fake-claude" }

    /// The stand-in as an agent command that may edit (`--permission-mode acceptEdits`), for
    /// `CONDUCTOR_AGENT_CMD`: without a permission mode it refuses edits, as Claude Code does.
    public static var fakeClaudeCommand: String { fakeClaude + " --permission-mode acceptEdits" }

    /// The build directory `swift test` runs from (where the `conductor` executable is built).
    public static let buildDirectory: String = {
        let candidates = [CommandLine.arguments[0], Bundle.main.bundlePath, Bundle.main.executablePath ?? ""]
        for candidate in candidates where !candidate.isEmpty {
            var url = URL(fileURLWithPath: candidate).resolvingSymlinksInPath()
            for _ in 0..<4 {
                url.deleteLastPathComponent()
                if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("conductor").path) { return url.path }
            }
        }
        return repositoryRoot + "/.build/debug"
    }()

    /// The built `conductor` executable.
    public static var conductor: String { buildDirectory + "/conductor" }
}

/// Polls `condition` until it holds or `timeout` seconds pass; returns whether it held.
/// Tests use generous timeouts: they wait for a condition, they never assert a duration.
@discardableResult
public func waitUntil(timeout: TimeInterval = 60, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        usleep(20_000)
    }
    return try condition()
}

/// True when a process with this pid exists (and is not a zombie).
public func processIsAlive(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    guard let close = stat.lastIndex(of: ")") else { return false }
    return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
}
