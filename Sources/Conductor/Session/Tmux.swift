import FoundationEssentials
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import FoundationShims

/// The tmux command line, run as a child process (tmux is the interface here, not a library),
/// through `ChildProcess`: its doc comment says why not swift-subprocess.
package struct Tmux: Sendable {
    /// The resolved `tmux` executable.
    package let executable: String
    package let environment: [String: String]

    /// Finds tmux in `PATH`.
    ///
    /// - Throws: `SessionError.tmuxMissing` with the install command.
    package init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let path = Executable.find("tmux", searchPath: environment["PATH"]) else { throw SessionError.tmuxMissing }
        executable = path
        self.environment = environment
    }

    /// Runs `tmux arguments…` and returns its stdout.
    ///
    /// - Throws: `SessionError.tmuxFailed` with tmux's own message.
    @discardableResult
    package func run(_ arguments: [String]) throws -> String {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("conductor-tmux-\(getpid())-\(UUID().uuidString)").path
        defer {
            try? FileManager.default.removeItem(atPath: scratch + ".out")
            try? FileManager.default.removeItem(atPath: scratch + ".err")
        }
        let child = try ChildProcess(arguments: [executable] + arguments, directory: FileManager.default.currentDirectoryPath,
                                     environment: environment, stdoutPath: scratch + ".out", stderrPath: scratch + ".err")
        let exit = child.wait()
        let output = (try? String(contentsOfFile: scratch + ".out", encoding: .utf8)) ?? ""
        guard exit.status == 0 else {
            let message = (try? String(contentsOfFile: scratch + ".err", encoding: .utf8)) ?? ""
            throw SessionError.tmuxFailed(arguments.first ?? "", message.trimmed)
        }
        return output
    }

    /// True when a session called `name` exists.
    package func hasSession(_ name: String) -> Bool {
        (try? run(["has-session", "-t", "=\(name)"])) != nil
    }

    /// The tmux user option in which `conductor launch` marks its sessions with their record's
    /// directory: a session without it was not made by conductor, which leaves it alone.
    package static let recordOption = "@conductor-record"

    /// The record directory of conductor's session `name`, or nil when the session has no mark.
    package func recordDirectory(ofSession name: String) -> String? {
        guard let value = try? run(["show-options", "-t", "=\(name):", "-v", Self.recordOption]) else { return nil }
        let directory = value.trimmed
        return directory.isEmpty ? nil : directory
    }

    /// Quotes `argument` for the shell tmux runs pane commands with.
    package static func quote(_ argument: String) -> String {
        "'" + argument.replacing("'", with: "'\\''") + "'"
    }
}

/// A session that cannot be launched or stopped, worded with the fix.
package enum SessionError: Error, CustomStringConvertible {
    case tmuxMissing
    case tmuxFailed(String, String)
    case exists(String)
    case notRunning(String)
    case notOurs(String)
    case nameTaken(String)
    case batchHasName(String, String)
    case badDirectory(String)
    case stillRunning(name: String, pids: [Int32])
    case worktreeMoved(name: String, path: String, expected: String)

    package var description: String {
        switch self {
        case .tmuxMissing:
            return "tmux is not installed; install it (sudo apt-get install tmux, or brew install tmux) and try again"
        case .tmuxFailed(let command, let message):
            return "tmux \(command) failed: \(message)"
        case .exists(let name):
            return "a tmux session named '\(name)' already exists; attach to it with: tmux attach -t \(name), or stop it with: conductor stop -n \(name)"
        case .notRunning(let name):
            return "there is no tmux session named '\(name)' (tmux ls lists the sessions)"
        case .batchHasName(let name, let directory):
            return "'\(name)' is a batch (\(directory)), not a session; a session needs a name of its own: pick another -n"
        case .nameTaken(let name):
            return "a tmux session named '\(name)' exists and was not started by conductor; pick another name with -n"
        case .badDirectory(let problem):
            return problem
        case .notOurs(let name):
            return "the tmux session '\(name)' was not started by conductor launch; conductor leaves it alone (end it yourself with: tmux kill-session -t \(name))"
        case .stillRunning(let name, let pids):
            return "workers of session '\(name)' are still running (pids \(pids.map(String.init).joined(separator: ", "))); stop them first: conductor stop -n \(name)"
        case .worktreeMoved(let name, let path, let expected):
            return "the worktree '\(name)' is at \(path), not \(expected); move it back (git worktree move) or prune the session"
        }
    }
}
