import Foundation

/// A git repository in a temporary directory, driven by the git CLI, so tests check conductor's
/// libgit2 code against git itself.
public final class GitFixture: @unchecked Sendable {
    public let directory: TemporaryDirectory
    /// The working directory of the main checkout.
    public var path: String { directory.appending("repo") }

    /// Makes a repository on branch `main` with one commit holding `README.md` (unless `empty`).
    public init(empty: Bool = false, bare: Bool = false) throws {
        directory = TemporaryDirectory("conductor-git")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try git(bare ? ["init", "-q", "--bare", "-b", "main"] : ["init", "-q", "-b", "main"])
        if !empty && !bare {
            try write("README.md", "hello\n")
            try commit("initial")
        }
    }

    /// Runs git in the repository (or in `directory`) and returns its stdout; throws on failure.
    @discardableResult
    public func git(_ arguments: [String], in directory: String? = nil) throws -> String {
        let identity = ["-c", "user.name=Fixture", "-c", "user.email=fixture@example.com", "-c", "commit.gpgsign=false"]
        let result = try run(["git"] + identity + arguments, in: directory ?? path)
        guard result.status == 0 else { throw RunFailure(command: ["git"] + arguments, result: result) }
        return result.stdout
    }

    /// Writes a file (creating parent directories) relative to the repository or to `root`.
    public func write(_ relative: String, _ contents: String, root: String? = nil) throws {
        let file = ((root ?? path) as NSString).appendingPathComponent(relative)
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try contents.write(toFile: file, atomically: false, encoding: .utf8)
    }

    /// Reads a file relative to the repository or to `root`.
    public func read(_ relative: String, root: String? = nil) throws -> String {
        try String(contentsOfFile: ((root ?? path) as NSString).appendingPathComponent(relative), encoding: .utf8)
    }

    /// Stages everything and commits it; returns the new commit's sha.
    @discardableResult
    public func commit(_ message: String, in directory: String? = nil) throws -> String {
        try git(["add", "-A"], in: directory)
        try git(["commit", "-q", "--allow-empty", "-m", message], in: directory)
        return try revParse("HEAD", in: directory)
    }

    /// The full sha a revision names.
    public func revParse(_ revision: String, in directory: String? = nil) throws -> String {
        try git(["rev-parse", revision], in: directory).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
