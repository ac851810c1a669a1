import Foundation

/// The outcome of a finished process.
public struct RunResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// A command that exited with a status other than the expected one.
public struct RunFailure: Error, CustomStringConvertible {
    public let command: [String]
    public let result: RunResult

    public init(command: [String], result: RunResult) {
        self.command = command
        self.result = result
    }
    public var description: String {
        "\(command.joined(separator: " ")) exited \(result.status)\nstdout: \(result.stdout)\nstderr: \(result.stderr)"
    }
}

/// A command that did not finish before its deadline; it was ended (SIGTERM, then SIGKILL).
public struct RunTimeout: Error, CustomStringConvertible {
    public let command: [String]
    public let seconds: TimeInterval
    public let stdout: String
    public let stderr: String

    public var description: String {
        "\(command.joined(separator: " ")) did not finish within \(Int(seconds)) s and was killed\nstdout: \(stdout.suffix(2000))\nstderr: \(stderr.suffix(2000))"
    }
}

/// Runs a program to completion and captures its output.
///
/// Output goes through temporary files rather than pipes: Foundation's pipe reads crash on EINTR.
/// Every run has a deadline, so a hang fails the test that caused it instead of the whole suite.
///
/// - Parameters:
///   - arguments: the program (looked up in PATH) and its arguments.
///   - directory: the working directory.
///   - environment: variables added to (or replacing) this process's environment.
///   - input: text written to the program's standard input.
///   - timeout: seconds the program gets; then it is ended and `RunTimeout` is thrown.
@discardableResult
public func run(_ arguments: [String], in directory: String? = nil, environment: [String: String] = [:], input: String? = nil,
                timeout: TimeInterval = 300) throws -> RunResult {
    let scratch = TemporaryDirectory("conductor-run")
    let files = ["in", "out", "err"].map(scratch.appending)
    try Data((input ?? "").utf8).write(to: URL(fileURLWithPath: files[0]))
    _ = FileManager.default.createFile(atPath: files[1], contents: nil)
    _ = FileManager.default.createFile(atPath: files[2], contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let handles = [try FileHandle(forReadingFrom: URL(fileURLWithPath: files[0])),
                   try FileHandle(forWritingTo: URL(fileURLWithPath: files[1])),
                   try FileHandle(forWritingTo: URL(fileURLWithPath: files[2]))]
    // Closed here: `Process` keeps them open for as long as it lives, and a test process past 1,024
    // descriptors breaks `Process` itself (its exit watch uses select()).
    defer { handles.forEach { try? $0.close() } }
    process.standardInput = handles[0]
    process.standardOutput = handles[1]
    process.standardError = handles[2]
    let exited = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in exited.signal() }
    try process.run()
    let output = { (try? String(contentsOfFile: files[1], encoding: .utf8)) ?? "" }
    let errors = { (try? String(contentsOfFile: files[2], encoding: .utf8)) ?? "" }
    guard let status = waitForExit(of: process, signalled: exited, timeout: timeout) else {
        kill(process.processIdentifier, SIGTERM)
        if waitForExit(of: process, signalled: exited, timeout: 5) == nil {
            kill(process.processIdentifier, SIGKILL)
            _ = waitForExit(of: process, signalled: exited, timeout: 30)
        }
        throw RunTimeout(command: arguments, seconds: timeout, stdout: output(), stderr: errors())
    }
    return RunResult(status: status, stdout: output(), stderr: errors())
}
