import FoundationEssentials
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif
import Queue

/// How a worker process starts. Every program that links Conductor can be one: `WorkerLaunch`
/// starts the running program again with `CONDUCTOR_WORKER_REQUEST` set to a `Request` as JSON, and
/// Conductor serves that worker before the program's `main` runs (a constructor in
/// `CSystemShims` calls in here), then exits. So a Swift program runs its workers without the
/// `conductor` executable, and need not call anything for it. `conductor worker ID DIR` serves
/// the same way from its command line.
public enum WorkerEntry {
    /// The environment variable that makes a program serve as a worker: a `Request` as JSON.
    public static let variable = "CONDUCTOR_WORKER_REQUEST"

    /// What a started worker is told.
    public struct Request: Codable, Sendable, Equatable {
        /// The slot number (`<queue>/workers/<id>`).
        public var id: Int
        /// Where tasks run unless their placement says otherwise.
        public var directory: String
        /// The queue's directory.
        public var queue: String
        /// Which agent answers prompts.
        public var agent: AgentChoice
        /// The worker stops when this process is gone.
        public var parentPid: Int32?

        public init(id: Int, directory: String, queue: String, agent: AgentChoice = AgentChoice(), parentPid: Int32? = nil) {
            self.id = id
            self.directory = directory
            self.queue = queue
            self.agent = agent
            self.parentPid = parentPid
        }

        /// The worker's configuration, its agent resolved in this process's environment.
        ///
        /// - Throws: `AgentError` for an agent that cannot be used.
        func configuration() throws -> WorkerConfiguration {
            var configuration = WorkerConfiguration(
                id: id, directory: directory, queue: QueueRoot(path: queue),
                agent: try agent.agent(environment: ProcessInfo.processInfo.environment))
            configuration.parentPid = parentPid
            return configuration
        }
    }

    /// Runs a worker until SIGINT, SIGTERM or SIGHUP (or its parent's death) stops it.
    ///
    /// - Throws: what `Worker.run` throws.
    package static func serve(_ configuration: WorkerConfiguration, log: @escaping @Sendable (String) -> Void) throws {
        let worker = Worker(configuration: configuration, log: log)
        SignalTrap.install([SIGINT, SIGTERM, SIGHUP]) { _ in worker.stop() }
        try worker.run()
    }

    /// When `CONDUCTOR_WORKER_REQUEST` is set: removes it from the environment (the tasks must not
    /// inherit it), serves the worker it describes, and exits (0 once stopped, 1 when it could not
    /// serve, with the reason on standard error). Returns at once otherwise.
    static func serveIfRequested() {
        guard let value = getenv(variable) else { return }
        let json = String(cString: value)
        unsetenv(variable)
        let log: @Sendable (String) -> Void = { RawFile.write(Data(($0 + "\n").utf8), to: STDERR_FILENO) }
        let request: Request
        do {
            request = try QueueJSON.decoder.decode(Request.self, from: Data(json.utf8))
        } catch {
            log("\(variable) is not a worker request (\(QueueJSON.describe(error))); unset it to run the program itself")
            exit(1)
        }
        do {
            try serve(request.configuration(), log: log)
            exit(0)
        } catch {
            log("worker \(request.id): \(error)")
            exit(1)
        }
    }
}

/// Called by the constructor in `CSystemShims` before `main`.
@_cdecl("conductor_serve_worker_if_requested")
func serveWorkerIfRequested() {
    WorkerEntry.serveIfRequested()
}
