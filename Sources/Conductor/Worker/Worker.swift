import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif
import Queue
import Synchronization

/// A worker process's main loop: owns one slot, waits for `task.json`, runs each task, writes
/// `result.json` and `status.json`.
///
/// A task is run only when its `seq` is newer than anything the worker has seen and, when it names
/// a worker pid, that pid is this process: a task written for a previous owner of the slot is never
/// run by its successor (the orchestrator re-queues it instead).
public final class Worker: Sendable {
    public let configuration: WorkerConfiguration
    private let log: @Sendable (String) -> Void
    private let control = Mutex<(stopping: Bool, running: ChildProcess?, watcher: DirectoryWatcher?)>((false, nil, nil))

    public init(configuration: WorkerConfiguration, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.configuration = configuration
        self.log = log
    }

    /// Serves tasks until `stop()` is called (or the parent process named in the configuration dies).
    ///
    /// - Throws: `QueueError` when the slot cannot be created or a live worker owns it.
    public func run() throws {
        let queue = configuration.queue
        try queue.create()
        let slot = queue.slot(configuration.id)
        try slot.create()
        let lock = try SlotLock.acquire(slot, log: log)
        defer { lock.release() }
        if let previous = try? slot.readStatus(), previous.pid != getpid() {
            slot.endOrphanedTask(ofDeadOwner: previous.pid)
        }
        var watermark = TaskPicker.watermark(of: slot)
        // Before the status says this worker is ready: a task.json written after that is new to it.
        var picker = TaskPicker(slot: slot, watermark: watermark)
        let board = try StatusBoard(slot: slot, seq: watermark)
        let watcher = try DirectoryWatcher(directories: [slot.path], names: ["task.json"], mode: configuration.watchMode)
        let stopping = control.withLock { state -> Bool in
            state.watcher = watcher
            return state.stopping
        }
        let heartbeat = startHeartbeat(board)
        defer { heartbeat.cancel() }
        log("worker \(configuration.id) (pid \(getpid())) serving \(slot.path), running tasks in \(configuration.directory)")
        if !stopping {
            while !isStopping {
                if let pick = picker.next() {
                    watermark = pick.seq
                    switch pick {
                    case .task(let assignment): try execute(assignment, slot: slot, board: board)
                    case .malformed(let outcome):
                        log("worker \(configuration.id): malformed task.json: \(outcome.error ?? "")")
                        try slot.write(outcome)
                        try board.set(.error, taskId: outcome.taskId, seq: outcome.seq)
                    }
                    continue
                }
                watcher.wait(timeout: configuration.heartbeatInterval)
            }
        }
        try? board.set(.stopped, taskId: nil, seq: watermark)
        log("worker \(configuration.id) stopped")
    }

    /// Asks the worker to stop: the running task's process group is ended and recorded
    /// `cancelled`, then `run()` returns. Callable from any thread, any number of times.
    public func stop() {
        let (child, watcher) = control.withLock { state in
            state.stopping = true
            return (state.running, state.watcher)
        }
        child?.terminate(grace: configuration.grace)
        watcher?.wake()
    }

    private var isStopping: Bool { control.withLock { $0.stopping } }

    private func startHeartbeat(_ board: StatusBoard) -> DispatchSourceTimer {
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "conductor.worker.heartbeat"))
        let interval = configuration.heartbeatInterval
        timer.schedule(deadline: .now() + interval, repeating: interval)
        let parent = configuration.parentPid
        timer.setEventHandler { [self] in
            try? board.beat()
            if let parent, getppid() != parent {
                log("worker \(configuration.id): parent process \(parent) is gone; stopping")
                stop()
            }
        }
        timer.resume()
        return timer
    }

    private func execute(_ assignment: TaskAssignment, slot: WorkerSlot, board: StatusBoard) throws {
        log("worker \(configuration.id): task \(assignment.id) (seq \(assignment.seq), attempt \(assignment.attempt)) started")
        let outcome = TaskRun(assignment: assignment, slot: slot, configuration: configuration).perform { child in
            let stopping = control.withLock { state -> Bool in
                state.running = child
                return state.stopping
            }
            if stopping { child?.terminate(grace: configuration.grace) }
            if let child { try? board.set(.working, taskId: assignment.id, seq: assignment.seq, taskPid: child.pid) }
        } activity: { activity, changed in
            try? board.note(activity, seq: assignment.seq, changed: changed)
        }
        try slot.write(outcome)
        try board.set(outcome.status == .done ? .done : .error, taskId: assignment.id, seq: assignment.seq)
        log("worker \(configuration.id): task \(assignment.id) \(outcome.status.rawValue) in \(outcome.durationMs) ms")
    }
}
