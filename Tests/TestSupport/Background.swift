import Foundation

/// A process started by a test and ended by it: `stop()` (or release) sends SIGTERM, then SIGKILL.
public final class BackgroundProcess: @unchecked Sendable {
    public let process = Process()
    public let logPath: String
    private let scratch = TemporaryDirectory("conductor-bg")
    /// Signalled when `Process` sees the exit (see `waitForExit(of:signalled:timeout:)`).
    private let exited = DispatchSemaphore(value: 0)

    /// Starts `arguments` (looked up in PATH when not absolute), output to a log file.
    public init(_ arguments: [String], directory: String? = nil, environment: [String: String] = [:]) throws {
        logPath = scratch.appending("output.log")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        process.terminationHandler = { [exited] _ in exited.signal() }
        try process.run()
    }

    deinit {
        stop()
    }

    public var pid: Int32 { process.processIdentifier }

    /// What the process has written so far (stdout and stderr).
    public var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    public func signal(_ number: Int32) {
        if process.isRunning { kill(pid, number) }
    }

    /// Waits for exit; returns the status, or nil after `timeout` seconds.
    public func waitForExit(timeout: TimeInterval = 60) -> Int32? {
        TestSupport.waitForExit(of: process, signalled: exited, timeout: timeout)
    }

    /// Ends the process: SIGTERM, then SIGKILL after `grace` seconds.
    public func stop(grace: TimeInterval = 20) {
        guard process.isRunning else { return }
        kill(pid, SIGTERM)
        if waitForExit(timeout: grace) == nil {
            kill(pid, SIGKILL)
            _ = waitForExit(timeout: 30)
        }
    }
}
