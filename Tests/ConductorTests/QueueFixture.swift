import Conductor
import Foundation
import TestSupport
import Queue

/// A temporary queue with `conductor worker` processes (the real binary, the stand-in agent),
/// all ended when the fixture is released.
final class QueueFixture: @unchecked Sendable {
    let directory = TemporaryDirectory("conductor-queue")
    var root: QueueRoot { QueueRoot(path: directory.appending("queue")) }
    var workDirectory: String { directory.appending("work") }
    private(set) var workers: [Int: BackgroundProcess] = [:]
    let environment: [String: String]

    init(watch: DirectoryWatcher.Mode = .inotify) throws {
        try FileManager.default.createDirectory(atPath: directory.appending("work"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory.appending("agent-state"), withIntermediateDirectories: true)
        environment = [
            "CONDUCTOR_WATCH": watch == .inotify ? "inotify" : "poll",
            "CONDUCTOR_AGENT_CMD": Binaries.fakeClaudeCommand,
            "FAKE_CLAUDE_STATE": directory.appending("agent-state"),
            "HOME": directory.path,
        ]
    }

    deinit {
        workers.values.forEach { $0.stop() }
    }

    /// Starts worker `id` and waits until it reports idle.
    @discardableResult
    func startWorker(_ id: Int, extra: [String] = []) throws -> BackgroundProcess {
        let process = try BackgroundProcess(
            [Binaries.conductor, "worker", String(id), workDirectory, "--queue", root.path, "--grace", "2"] + extra,
            environment: environment)
        workers[id] = process
        let slot = root.slot(id)
        let ready = waitUntil {
            if case .held(let owner) = SlotLock.probe(slot), owner.pid == process.pid, (try? slot.readStatus())?.pid == process.pid { return true }
            return !process.process.isRunning
        }
        guard ready, process.process.isRunning else { throw FixtureError("worker \(id) did not start: \(process.output)") }
        return process
    }

    /// Runs `conductor` with the fixture's environment and queue.
    func conductor(_ arguments: [String], input: String? = nil) throws -> RunResult {
        try run([Binaries.conductor] + arguments, in: directory.path, environment: environment, input: input)
    }

    /// Writes a tasks file and returns its path.
    func tasksFile(_ json: String, name: String = "tasks.json") throws -> String {
        let path = directory.appending(name)
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Decodes `orchestrator --json` output.
    static func report(_ output: String) throws -> RunReport {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(RunReport.self, from: Data(output.utf8))
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
