import FoundationEssentials
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import FoundationShims
import Queue

/// How an orchestrator starts its own workers: `conductor worker <id> <directory> --queue <root>`.
public struct WorkerLaunch: Sendable {
    /// The `conductor` executable.
    public var executable: String
    /// Where tasks run unless their placement says otherwise.
    public var directory: String
    /// Extra `conductor worker` arguments (agent options, timeouts).
    public var arguments: [String]
    /// The workers' environment.
    public var environment: [String: String]

    /// - Parameter executable: the `conductor` binary; by default the one beside this program,
    ///   else the first in `PATH`.
    public init(directory: String, arguments: [String] = [], executable: String? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.directory = directory
        self.arguments = arguments
        self.environment = environment
        self.executable = executable ?? Self.locateConductor(environment: environment)
    }

    /// The `conductor` beside the running executable, else the first in `PATH`, else `conductor`.
    public static func locateConductor(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("conductor").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return Executable.find("conductor", searchPath: environment["PATH"]) ?? "conductor"
    }
}

/// Worker processes an orchestrator started, and stops.
final class WorkerPool {
    private let processes: [(id: Int, process: ChildProcess)]
    private let queue: QueueRoot
    /// Seconds a worker gets to end its task and exit after SIGTERM.
    static let stopGrace: TimeInterval = 15

    init(launch: WorkerLaunch, queue: QueueRoot, ids: [Int]) throws {
        self.queue = queue
        var started: [(Int, ChildProcess)] = []
        do {
            for id in ids {
                let slot = queue.slot(id)
                try slot.create()
                let arguments = [launch.executable, "worker", String(id), launch.directory, "--queue", queue.path,
                                 "--parent-pid", String(getpid())] + launch.arguments
                started.append((id, try ChildProcess(
                    arguments: arguments, directory: launch.directory, environment: launch.environment,
                    stdoutPath: "\(slot.path)/worker.log", stderrPath: "\(slot.path)/worker.log")))
            }
        } catch {
            started.forEach { $0.1.terminate(grace: 1) }
            started.forEach { _ = $0.1.wait() }
            throw error
        }
        processes = started
        try waitUntilReady(timeout: 30)
    }

    deinit {
        stop()
    }

    /// Waits until every started worker owns its slot and has reported `idle`.
    private func waitUntilReady(timeout: TimeInterval) throws {
        let deadline = Date().addingTimeInterval(timeout)
        for (id, process) in processes {
            let slot = queue.slot(id)
            while true {
                if case .held(let owner) = SlotLock.probe(slot), owner.pid == process.pid,
                   let status = try? slot.readStatus(), status.pid == process.pid { break }
                if kill(process.pid, 0) != 0 || Date() > deadline {
                    let log = (try? String(contentsOfFile: "\(slot.path)/worker.log", encoding: .utf8)) ?? ""
                    stop()
                    throw WorkerPoolError(id: id, log: log.trimmed)
                }
                usleep(10_000)
            }
        }
    }

    /// Sends SIGTERM to every worker (each ends its running task, records it `cancelled`).
    func signalStop() {
        for (_, process) in processes { kill(process.pid, SIGTERM) }
    }

    /// Stops every worker and waits for it; one that does not exit in time is killed.
    func stop() {
        for (_, process) in processes { process.terminate(grace: Self.stopGrace) }
        for (_, process) in processes { _ = process.wait() }
    }
}

/// A started worker that did not come up.
public struct WorkerPoolError: Error, CustomStringConvertible {
    public let id: Int
    public let log: String

    public var description: String {
        "worker \(id) did not start" + (log.isEmpty ? "" : ": \(log)")
    }
}
