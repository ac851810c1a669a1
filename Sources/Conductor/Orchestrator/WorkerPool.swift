import FoundationEssentials
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import FoundationShims
import Queue
import Synchronization

/// How an orchestrator starts its own workers: it runs `executable` (by default this very program)
/// with `CONDUCTOR_WORKER_REQUEST` set to a `WorkerEntry.Request`, and Conductor serves the worker in that
/// process before its `main` (see `WorkerEntry`). No `conductor` executable is needed.
public struct WorkerLaunch: Sendable {
    /// The program the workers run: one that links Conductor (the `conductor` executable is one).
    public var executable: String
    /// Where tasks run unless their placement says otherwise.
    public var directory: String
    /// Which agent answers the workers' prompts.
    public var agent: AgentChoice
    /// The workers' environment.
    public var environment: [String: String]
    /// How often a worker that died is started again within a minute before the run is ended
    /// with `WorkerPoolError` (a worker that dies at once every time).
    public var restartsPerMinute = 5

    /// - Parameter executable: the program the workers run; by default this one (`runningProgram`).
    public init(directory: String, agent: AgentChoice = AgentChoice(), executable: String? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.directory = directory
        self.agent = agent
        self.environment = environment
        self.executable = executable ?? Self.runningProgram
    }

    /// The running program's executable file (from `/proc/self/exe`; Linux).
    public static var runningProgram: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// The `conductor` executable beside the running program, else the first in `PATH`, else
    /// `conductor`: for what still runs the CLI itself (a background submission's `conductor submit`).
    package static func locateConductor(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let beside = Path.parent(runningProgram) + "/conductor"
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return Executable.find("conductor", searchPath: environment["PATH"]) ?? "conductor"
    }

    /// The request worker `id` of `queue` is started with.
    func request(id: Int, queue: QueueRoot) -> WorkerEntry.Request {
        WorkerEntry.Request(id: id, directory: directory, queue: queue.path, agent: agent, parentPid: getpid())
    }
}

/// Worker processes an orchestrator started: supervised (a worker that dies is started again in
/// its slot, at most `WorkerLaunch.restartsPerMinute` times a minute) and stopped once.
final class WorkerPool: Sendable {
    private struct State {
        var processes: [Int: ChildProcess] = [:]
        var restarts: [Int: [Date]] = [:]
        /// No more restarts: the pool is stopping, or a worker died too often.
        var closing = false
        var stopped = false
        var failure: WorkerPoolError?
    }

    private let launch: WorkerLaunch
    private let queue: QueueRoot
    private let state = Mutex(State())
    private let failed: @Sendable () -> Void
    /// Seconds a worker gets to end its task and exit after SIGTERM.
    static let stopGrace: TimeInterval = 15

    /// Starts a worker in each slot of `ids` and waits until all are ready.
    ///
    /// - Parameter failed: told (on another thread) when a worker died too often to be restarted.
    init(launch: WorkerLaunch, queue: QueueRoot, ids: [Int], failed: @escaping @Sendable () -> Void = {}) throws {
        self.launch = launch
        self.queue = queue
        self.failed = failed
        do {
            for id in ids {
                let process = try start(id)
                state.withLock { $0.processes[id] = process }
            }
            try waitUntilReady(timeout: 30)
        } catch {
            stop(grace: 1)
            throw error
        }
        for id in ids { supervise(id) }
    }

    deinit {
        stop()
    }

    /// Why the pool gave up on a worker, once it has.
    var failure: WorkerPoolError? { state.withLock { $0.failure } }

    /// The worker processes now running, by slot (for tests).
    var processes: [Int: ChildProcess] { state.withLock { $0.processes } }

    private func start(_ id: Int) throws -> ChildProcess {
        let slot = queue.slot(id)
        try slot.create()
        var environment = launch.environment
        environment[WorkerEntry.variable] = String(decoding: try QueueJSON.encoder.encode(launch.request(id: id, queue: queue)), as: UTF8.self)
        // The request is in the environment; the arguments only make `ps` say what the process is.
        return try ChildProcess(
            arguments: [launch.executable, "worker", String(id), launch.directory], directory: launch.directory, environment: environment,
            stdoutPath: "\(slot.path)/worker.log", stderrPath: "\(slot.path)/worker.log")
    }

    /// Waits until every started worker owns its slot and has reported `idle`.
    private func waitUntilReady(timeout: TimeInterval) throws {
        let deadline = Date().addingTimeInterval(timeout)
        for (id, process) in processes.sorted(by: { $0.key < $1.key }) {
            let slot = queue.slot(id)
            let isReady = {
                if case .held(let owner) = SlotLock.probe(slot), owner.pid == process.pid,
                   let status = try? slot.readStatus(), status.pid == process.pid { true } else { false }
            }
            _ = Polling.wait(until: deadline, every: 0.01) { isReady() || process.hasExited }
            guard isReady() else { throw WorkerPoolError(id: id, log: lastWords(id)) }
        }
    }

    /// Restarts worker `id` whenever it exits while the pool is not stopping.
    private func supervise(_ id: Int) {
        guard let process = processes[id] else { return }
        process.onExit { [weak self] in self?.restart(id, after: process) }
    }

    private func restart(_ id: Int, after dead: ChildProcess) {
        _ = dead.wait()
        queue.slot(id).endOrphanedTask(ofDeadOwner: dead.pid)
        let outcome = state.withLock { state -> Bool? in
            guard !state.closing, state.processes[id] === dead else { return nil }
            let now = Date()
            var times = (state.restarts[id] ?? []).filter { now.timeIntervalSince($0) < 60 }
            times.append(now)
            state.restarts[id] = times
            guard times.count <= launch.restartsPerMinute else {
                state.closing = true
                state.failure = WorkerPoolError(id: id, log: lastWords(id), restarts: times.count - 1)
                return false
            }
            do {
                state.processes[id] = try start(id)
                return true
            } catch {
                state.closing = true
                state.failure = WorkerPoolError(id: id, log: "\(error)", restarts: times.count - 1)
                return false
            }
        }
        switch outcome {
        case true?: supervise(id)
        case false?: failed()
        case nil: break
        }
    }

    /// The end of worker `id`'s log.
    private func lastWords(_ id: Int) -> String {
        let tail = RawFile.tail("\(queue.slot(id).path)/worker.log", limit: 2048) ?? Data()
        return String(decoding: tail, as: UTF8.self).trimmed
    }

    /// Sends SIGTERM to every worker (each ends its running task, records it `cancelled`); none
    /// is restarted from now on.
    func signalStop() {
        let processes = state.withLock { state in
            state.closing = true
            return Array(state.processes.values)
        }
        processes.forEach { $0.signal(SIGTERM) }
    }

    /// Stops every worker and waits for it; one that does not exit in time is killed. Only the
    /// first call does anything.
    func stop(grace: TimeInterval = stopGrace) {
        let processes = state.withLock { state -> [ChildProcess] in
            guard !state.stopped else { return [] }
            state.stopped = true
            state.closing = true
            return Array(state.processes.values)
        }
        processes.forEach { $0.terminate(grace: grace) }
        processes.forEach { _ = $0.wait() }
    }
}

/// A started worker that did not come up, or kept dying.
public struct WorkerPoolError: Error, CustomStringConvertible {
    public let id: Int
    /// The end of the worker's log.
    public let log: String
    /// How often it was restarted before the pool gave up; 0 when it never came up.
    public let restarts: Int

    public init(id: Int, log: String, restarts: Int = 0) {
        self.id = id
        self.log = log
        self.restarts = restarts
    }

    public var description: String {
        let what = restarts == 0
            ? "worker \(id) did not start"
            : "worker \(id) died again after \(restarts) restarts within a minute; the run was stopped (resume once the cause is fixed)"
        return what + (log.isEmpty ? "" : ": \(log)")
    }
}
