import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The remote workers a coordinator runs on its own host: `conductor worker NAME DIR` processes
/// serving the queue like any other host's, named `<host>-<batch>-<n>` (unique per host and
/// batch), each in `<batch dir>/workers/<name>` with its log beside it. The queue's address reaches
/// them in `$CONDUCTOR_QUEUE`, never on a command line `ps` shows. They end with the coordinator
/// (`--parent-pid`); one that exits early (its name still held by a worker of the coordinator's
/// earlier run, say) is started again a few times.
final class RemoteLocalWorkers: Sendable {
    private let names: [String]
    private let directory: String
    private let arguments: @Sendable (String) -> [String]
    private let environment: [String: String]
    private let log: @Sendable (String) -> Void
    /// Whether they are stopping, each one's process, and how many were started again.
    private let state = Mutex<(stopping: Bool, running: [String: ChildProcess], restarts: Int)>((false, [:], 0))
    /// Starts over all workers within one run, so a worker that can never start does not loop.
    private static let restartLimit = 20

    init(count: Int, batch: BatchRecord, queue: TaskQueueAddress, executable: String, environment: [String: String], log: @escaping @Sendable (String) -> Void) {
        let host = TaskRun.safeFileName(ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "")
        names = (0..<count).map { number in
            let name = "\(host)-\(batch.name)-\(number)"
            return TaskSpec.isUsableID(name) ? name : "local-\(batch.name)-\(number)"
        }
        directory = "\(batch.directory)/workers"
        let parent = getpid()
        arguments = { name in [executable, "worker", name, "\(batch.directory)/workers/\(name)", "--parent-pid", String(parent)] }
        var environment = environment
        environment["CONDUCTOR_QUEUE"] = queue.text
        self.environment = environment
        self.log = log
    }

    /// Starts every worker.
    ///
    /// - Throws: `ChildProcessError` when the program cannot be started, or a directory cannot be made.
    func start() throws {
        for name in names {
            try FileManager.default.createDirectory(atPath: "\(directory)/\(name)", withIntermediateDirectories: true)
            try launch(name)
        }
    }

    /// Ends every worker (SIGTERM: each gives its running task back to the queue) and waits for them.
    func stop(grace: TimeInterval = 10) {
        let running = state.withLock { state in
            state.stopping = true
            return Array(state.running.values)
        }
        for child in running {
            child.terminate(grace: grace)
            _ = child.wait()
        }
    }

    /// Starts worker `name`, its stderr (where it logs) in `<name>.log`, then `<name>.1.log`… when started again.
    private func launch(_ name: String, time: Int = 0) throws {
        let logFile = "\(directory)/\(name)" + (time == 0 ? "" : ".\(time)") + ".log"
        let child = try ChildProcess(arguments: arguments(name), directory: "\(directory)/\(name)", environment: environment,
                                     stdoutPath: "/dev/null", stderrPath: logFile)
        let stopping = state.withLock { state -> Bool in
            state.running[name] = child
            return state.stopping
        }
        if stopping { child.terminate() }
        child.onExit { [self] in
            let again = state.withLock { state -> Bool in
                guard !state.stopping, state.restarts < Self.restartLimit else { return false }
                state.restarts += 1
                return true
            }
            guard again else { return }
            log("local worker \(name) exited (its log: \(logFile)); starting it again in 2 s")
            DispatchQueue.global().asyncAfter(deadline: .now() + 2) { [self] in
                _ = child.wait()
                do { try launch(name, time: time + 1) } catch { log("local worker \(name) could not be started again: \(error)") }
            }
        }
    }
}
