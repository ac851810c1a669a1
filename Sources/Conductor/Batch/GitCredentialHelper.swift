import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

/// git's credential helpers, asked as `git push` asks them: `git credential fill` with the URL's
/// protocol, host and path (and user name) on stdin, then `git credential approve` or `reject`
/// once the server has answered, run in the repository so its own configuration counts.
///
/// It never prompts on the terminal (`GIT_TERMINAL_PROMPT=0`): a helper must hold the password
/// (`gh auth setup-git`, a `store` or `cache` helper, a desktop keychain), or `GIT_ASKPASS` ask
/// for it. What passes between conductor and git lives in a private directory on tmpfs
/// (`/dev/shm`) when there is one, and is deleted at once.
package final class GitCredentialHelper: PasswordSource {
    private let directory: String
    private let environment: [String: String]
    /// The credentials a server accepted in this run, by URL, so pushing the next branch neither
    /// asks the helpers again nor approves them twice.
    private var accepted: [String: UserPassword] = [:]

    /// - Parameters:
    ///   - directory: the repository git runs in (its `credential.*` configuration applies).
    ///   - environment: git's environment (`PATH`, `HOME`, `GIT_CONFIG_GLOBAL`, …).
    package init(directory: String = FileManager.default.currentDirectoryPath,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.directory = directory
        self.environment = environment
    }

    package func password(for url: String, username: String?) -> UserPassword? {
        if let known = accepted[url] { return known }
        guard let query = Self.query(url, username: username), let output = git("fill", input: query + "\n") else { return nil }
        var fields: [String: String] = [:]
        for line in output.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            fields[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        guard let user = fields["username"], let password = fields["password"] else { return nil }
        return UserPassword(username: user, password: password)
    }

    package func passwordWorked(_ credential: UserPassword, for url: String, _ worked: Bool) {
        if worked && accepted[url] == credential { return }
        accepted[url] = worked ? credential : nil
        guard let query = Self.query(url, username: credential.username), !credential.password.contains("\n") else { return }
        _ = git(worked ? "approve" : "reject", input: query + "password=\(credential.password)\n\n")
    }

    /// The `key=value` lines (unterminated) git's credential protocol describes `url` with, or nil when the URL
    /// cannot be described (no host, or a value with a newline).
    private static func query(_ url: String, username: String?) -> String? {
        guard let parsed = URL(string: url), let scheme = parsed.scheme, let host = parsed.host else { return nil }
        var lines = ["protocol=\(scheme)", "host=\(host)" + (parsed.port.map { ":\($0)" } ?? "")]
        let path = parsed.path.hasPrefix("/") ? String(parsed.path.dropFirst()) : parsed.path
        if !path.isEmpty { lines.append("path=\(path)") }
        if let username { lines.append("username=\(username)") }
        guard !lines.contains(where: { $0.contains("\n") }) else { return nil }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Runs `git credential <verb>` with `input` on stdin; its stdout, or nil when it failed.
    private func git(_ verb: String, input: String) -> String? {
        guard let git = Executable.find("git", searchPath: environment["PATH"]), let scratch = Self.privateDirectory() else { return nil }
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let (inputPath, outputPath, errorPath) = ("\(scratch)/in", "\(scratch)/out", "\(scratch)/err")
        guard FileManager.default.createFile(atPath: inputPath, contents: Data(input.utf8), attributes: [.posixPermissions: 0o600]),
              let child = try? ChildProcess(
                arguments: [git, "credential", verb], directory: directory,
                environment: environment.merging(["GIT_TERMINAL_PROMPT": "0"]) { $1 },
                stdoutPath: outputPath, stderrPath: errorPath, stdinPath: inputPath),
              child.wait(timeout: 60).status == 0 else { return nil }
        return try? String(contentsOfFile: outputPath, encoding: .utf8)
    }

    /// A new directory only this user can enter, on tmpfs when `/dev/shm` is there.
    private static func privateDirectory() -> String? {
        let parent = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : FileManager.default.temporaryDirectory.path
        var template = Array("\(parent)/conductor-credential-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { buffer in
            mkdtemp(buffer.baseAddress!).map { String(cString: $0) }
        }
    }
}
