import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif
import Queue

/// The orchestrator's loop for one run: assigns tasks to free live workers, collects each result
/// exactly once, re-queues the tasks of dead workers and rate-limited tasks, and journals it all.
final class Dispatcher {
    private struct Pending {
        let index: Int
        let attempt: Int
        var notBefore: Date
    }

    /// What the dispatcher needs of a slot's `task.json`.
    private struct TaskFileHead {
        let seq: Int
        let workerPid: Int32?
    }

    private struct InFlight {
        let index: Int
        let seq: Int
        let attempt: Int
        let owner: SlotLock.Owner
    }

    private let tasks: [TaskSpec]
    private let slots: [WorkerSlot]
    private let options: OrchestratorOptions
    private let sequential: Bool
    private let journal: Journal?
    private let jobLog: JobLog?
    private let watcher: DirectoryWatcher
    private let cancellation: CancellationFlag
    private let workerFailure: () -> Error?
    /// Each task's first attempt in this run (later than 1 for a task an earlier run started);
    /// retries are counted from it.
    private let firstAttempt: [Int]
    /// The queue the slots belong to.
    private var queue: QueueRoot { QueueRoot(path: slots[0].queuePath) }

    private var results: [TaskResult?]
    /// How many entries of `results` are still nil (counted, not searched: a pass must not cost
    /// time in proportion to the run's length).
    private var unfinished: Int
    private var pending: [Pending]
    private var inFlight: [Int: InFlight] = [:]
    /// Each slot's `task.json` as last read or written (see `lastTask(of:)`).
    private var taskFiles: [Int: TaskFileHead?] = [:]
    private var nextSeq: Int
    private var nextSequentialIndex = 0
    /// True once a failed task's `stopOnError` halted dispatch: nothing more starts.
    private var halted = false
    /// Until when prompts wait for the agent's usage limit to reset (commands go on meanwhile).
    private var promptsWaitUntil: Date?
    /// Runs of each task that ended on a usage limit: they do not count against its retries.
    private var limitWaits: [Int]
    private var lastLiveWorker = Date()
    private var everSawWorker = false
    /// Slots to look at on the next pass: those whose files changed, or all of them.
    private var dirty: Set<Int>
    private var lastFullScan = Date.distantPast
    /// The activity last told of per running assignment (by seq), so each change is told once.
    private var toldActivity: [Int: TaskActivity] = [:]
    /// Every slot is looked at least this often, for deaths and stale heartbeats.
    private static let fullScanInterval: TimeInterval = 0.5

    init(tasks: [TaskSpec], slots: [WorkerSlot], options: OrchestratorOptions, sequential: Bool,
         cancellation: CancellationFlag, watcher: DirectoryWatcher, workerFailure: @escaping () -> Error? = { nil }) throws {
        self.tasks = tasks
        self.slots = slots
        self.options = options
        self.sequential = sequential
        self.cancellation = cancellation
        self.watcher = watcher
        self.workerFailure = workerFailure
        let firstAttempt = tasks.map { 1 + (options.priorAttempts?($0) ?? 0) }
        self.firstAttempt = firstAttempt
        results = Array(repeating: nil, count: tasks.count)
        unfinished = tasks.count
        limitWaits = Array(repeating: 0, count: tasks.count)
        dirty = Set(slots.map(\.id))
        pending = sequential ? [] : tasks.indices.map { Pending(index: $0, attempt: firstAttempt[$0], notBefore: .distantPast) }
        nextSeq = (slots.map(TaskPicker.watermark).max() ?? 0) + 1
        journal = try options.journalPath.map(Journal.init)
        jobLog = try options.jobLogPath.map(JobLog.init)
    }

    func run() throws -> [TaskResult] {
        journal?.append(.start, reason: "\(tasks.count) tasks, \(slots.count) worker slots, \(sequential ? "sequential" : "parallel")")
        while unfinished > 0 {
            if let failure = workerFailure() { throw failure }
            if cancellation.isRaised { cancelRemaining() }
            collect()
            if sequential { scheduleNextInSequence() }
            try assign()
            try journal?.sync()
            if unfinished == 0 { break }
            dirty = []
            if case .changed(let indices) = watcher.wait(timeout: nextWakeInterval()) {
                dirty = Set(indices.map { slots[$0].id })
            }
            if Date().timeIntervalSince(lastFullScan) >= Self.fullScanInterval {
                dirty = Set(slots.map(\.id))
                lastFullScan = Date()
            }
        }
        try journal?.sync()
        if promptsWaitUntil != nil { try? FileManager.default.removeItem(atPath: queue.usageLimitFile) }
        return results.map { $0! }
    }

    // MARK: collecting

    private func collect() {
        for (slotID, flight) in inFlight where dirty.contains(slotID) {
            let slot = slots.first { $0.id == slotID }!
            if let outcome = try? slot.readResult(), outcome.seq == flight.seq, outcome.taskId == tasks[flight.index].id {
                inFlight[slotID] = nil
                toldActivity[flight.seq] = nil
                handle(outcome, of: flight, on: slotID)
                continue
            }
            switch SlotLock.probe(slot) {
            case .held(let owner) where owner == flight.owner:
                guard let status = try? slot.readStatus(), status.pid == owner.pid else { continue }
                if Date().timeIntervalSince(status.heartbeat) > options.heartbeatTimeout {
                    inFlight[slotID] = nil
                    endSilentWorker(owner, of: slot)
                    workerLost(flight, on: slotID, reason: "worker \(slotID) (pid \(owner.pid)) stopped answering (no heartbeat for \(Int(options.heartbeatTimeout)) s); it and its task were killed")
                } else if status.seq == flight.seq {
                    tell(status.activity, of: flight, on: slotID)
                }
            default:
                inFlight[slotID] = nil
                slot.endOrphanedTask(ofDeadOwner: flight.owner.pid)
                workerLost(flight, on: slotID, reason: "worker \(slotID) (pid \(flight.owner.pid)) died while running the task")
            }
        }
    }

    /// Tells of a running task's activity when what its agent does, or its turn, changed.
    private func tell(_ activity: TaskActivity?, of flight: InFlight, on slotID: Int) {
        let told = toldActivity[flight.seq]
        guard let activity, told?.doing != activity.doing || told?.turn != activity.turn else { return }
        toldActivity[flight.seq] = activity
        options.events?(.activity(index: flight.index, task: tasks[flight.index], worker: slotID, activity: activity))
    }

    /// Kills a worker that stopped answering (stopped, hung, or on a suspended machine) and the
    /// task it was running, so that its attempt can never overlap the next one nor report or
    /// commit after it: SIGKILL works on a stopped process. A batch's supervision starts a new
    /// worker in the slot.
    private func endSilentWorker(_ owner: SlotLock.Owner, of slot: WorkerSlot) {
        if let started = owner.startTime, ProcessInfo.startTime(of: owner.pid) == started {
            kill(owner.pid, SIGKILL)
        }
        slot.endOrphanedTask(ofDeadOwner: owner.pid)
    }

    /// True when the task of `flight` may have another attempt in this run.
    private func mayRetry(_ flight: InFlight) -> Bool {
        retriesSpent(flight) < options.retries && !cancellation.isRaised && !halted
    }

    private func retriesSpent(_ flight: InFlight) -> Int {
        flight.attempt - firstAttempt[flight.index] - limitWaits[flight.index]
    }

    private func handle(_ outcome: TaskOutcome, of flight: InFlight, on slotID: Int) {
        if outcome.status == .error, tasks[flight.index].prompt != nil, outcome.agent?.usageLimited == true, !cancellation.isRaised, !halted {
            return waitForUsageLimit(outcome, of: flight, on: slotID)
        }
        if outcome.status == .error, Self.hitRateLimit(outcome, of: tasks[flight.index]), mayRetry(flight) {
            journal?.append(.result, task: outcome.taskId, index: flight.index, worker: slotID, seq: outcome.seq,
                            attempt: flight.attempt, status: outcome.status)
            let delay = options.backoff * pow(2, Double(retriesSpent(flight)))
            requeue(flight, after: delay, reason: "rate limited: \(outcome.error ?? "")")
            return
        }
        finish(flight.index, TaskResult(task: tasks[flight.index], worker: slotID, result: .init(outcome)))
    }

    /// The agent hit its usage limit: every prompt waits until the reset (plus a margin; a default
    /// wait when the agent gave no time), then this one runs again without spending a retry.
    private func waitForUsageLimit(_ outcome: TaskOutcome, of flight: InFlight, on slotID: Int) {
        journal?.append(.result, task: outcome.taskId, index: flight.index, worker: slotID, seq: outcome.seq,
                        attempt: flight.attempt, status: outcome.status)
        let reset = outcome.agent?.limitResetsAt ?? Date().addingTimeInterval(options.usageLimitWait)
        let until = max(promptsWaitUntil ?? .distantPast, reset.addingTimeInterval(options.usageLimitMargin))
        promptsWaitUntil = until
        limitWaits[flight.index] += 1
        try? AtomicFile.writeJSON(UsageLimitNotice(until: until, reason: outcome.error ?? "usage limit"), to: queue.usageLimitFile)
        options.events?(.waitingForUsageLimit(until: until, reason: outcome.error ?? "usage limit"))
        requeue(flight, after: max(0, until.timeIntervalSinceNow), reason: "usage limit: waiting for it to reset")
    }

    /// A pending task that may start now: its backoff is over, and a prompt does not start while
    /// the agent's usage limit has not reset.
    private func mayStart(_ item: Pending, now: Date) -> Bool {
        item.notBefore <= now && (tasks[item.index].prompt == nil || (promptsWaitUntil ?? .distantPast) <= now)
    }

    private func workerLost(_ flight: InFlight, on slotID: Int, reason: String) {
        if mayRetry(flight) {
            requeue(flight, after: 0, reason: reason)
        } else {
            // After Ctrl-C a worker stopping (the terminal signals it too) before it reported is
            // the interrupt's doing, not the task's failure.
            var outcome = cancellation.isRaised
                ? TaskResult.Outcome.synthetic(.cancelled, error: "cancelled: \(reason) after the run was interrupted", attempts: flight.attempt)
                : TaskResult.Outcome.synthetic(.error, error: "\(reason); gave up after \(flight.attempt) attempt(s)", attempts: flight.attempt)
            outcome.seq = flight.seq
            finish(flight.index, TaskResult(task: tasks[flight.index], worker: slotID, result: outcome))
        }
    }

    private func requeue(_ flight: InFlight, after delay: TimeInterval, reason: String) {
        journal?.append(.retry, task: tasks[flight.index].id, index: flight.index, seq: flight.seq, attempt: flight.attempt + 1, reason: reason)
        options.events?(.retrying(index: flight.index, task: tasks[flight.index], reason: reason, after: delay))
        pending.insert(Pending(index: flight.index, attempt: flight.attempt + 1, notBefore: Date().addingTimeInterval(delay)), at: 0)
        dirty = Set(slots.map(\.id))
    }

    private func finish(_ index: Int, _ result: TaskResult) {
        if results[index] == nil { unfinished -= 1 }
        results[index] = result
        journal?.append(.result, task: result.task.id, index: index, worker: result.worker, seq: result.result.seq,
                        attempt: result.result.attempts, status: result.result.status, record: result)
        jobLog?.record(result)
        options.events?(.finished(index: index, result: result))
        if !halted, !cancellation.isRaised, ![.done, .skipped].contains(result.result.status),
           result.task.stopOnError ?? options.stopOnError {
            halt(after: result.task.id)
        }
    }

    /// Stops dispatch after `failed` failed with `stopOnError`, as GNU parallel's `--halt
    /// soon,fail=1`: tasks not started yet are recorded `skipped`; running ones finish.
    private func halt(after failed: String) {
        halted = true
        let why = sequential ? "stops the sequence" : "stops dispatch (stopOnError)"
        // Each waiting task with the attempts it already had (a re-queued one has had some).
        let unscheduled = sequential ? Array(nextSequentialIndex..<tasks.count) : []
        let waiting = pending.map { ($0.index, $0.attempt - 1) } + unscheduled.map { ($0, 0) }
        pending.removeAll()
        nextSequentialIndex = tasks.count
        for (index, attempts) in waiting where results[index] == nil && !inFlight.values.contains(where: { $0.index == index }) {
            finish(index, TaskResult(task: tasks[index], worker: nil, result: .synthetic(
                .skipped, error: "skipped: task \(failed) failed and \(why)", attempts: attempts)))
        }
    }

    private func cancelRemaining() {
        for item in pending {
            finish(item.index, TaskResult(task: tasks[item.index], worker: nil, result: .synthetic(
                .cancelled, error: "cancelled before it ran", attempts: item.attempt - 1)))
        }
        pending.removeAll()
        if sequential {
            for index in nextSequentialIndex..<tasks.count where results[index] == nil && !inFlight.values.contains(where: { $0.index == index }) {
                finish(index, TaskResult(task: tasks[index], worker: nil, result: .synthetic(.cancelled, error: "cancelled before it ran", attempts: 0)))
            }
            nextSequentialIndex = tasks.count
        }
    }

    // MARK: assigning

    private func scheduleNextInSequence() {
        guard inFlight.isEmpty, pending.isEmpty else { return }
        while nextSequentialIndex < tasks.count, results[nextSequentialIndex] != nil { nextSequentialIndex += 1 }
        guard nextSequentialIndex < tasks.count else { return }
        pending.append(Pending(index: nextSequentialIndex, attempt: firstAttempt[nextSequentialIndex], notBefore: .distantPast))
        nextSequentialIndex += 1
    }

    private func assign() throws {
        var free = freeSlots()
        if !free.isEmpty || !inFlight.isEmpty {
            lastLiveWorker = Date()
            everSawWorker = true
        } else if !pending.isEmpty, !hasLiveWorker() {
            let waited = Date().timeIntervalSince(lastLiveWorker)
            if waited > options.noWorkerTimeout {
                if !everSawWorker { throw OrchestratorError.noLiveWorkers(queue: slots.first?.queuePath ?? "", waited: waited) }
                for item in pending {
                    finish(item.index, TaskResult(task: tasks[item.index], worker: nil, result: .synthetic(
                        .error, error: "no live worker left to run it", attempts: item.attempt - 1)))
                }
                pending.removeAll()
            }
            return
        } else if hasLiveWorker() {
            lastLiveWorker = Date()
            everSawWorker = true
        }
        let now = Date()
        var assignments: [(WorkerSlot, TaskAssignment, InFlight)] = []
        while !free.isEmpty, var position = pending.firstIndex(where: { mayStart($0, now: now) }) {
            var slotPosition = 0
            if let prefer = options.preferredWorker {
                // A task that prefers a free worker goes there; a free worker takes its own tasks first.
                if let wanted = prefer(tasks[pending[position].index]), let index = free.firstIndex(where: { $0.0.id == wanted }) {
                    slotPosition = index
                } else if let own = pending.firstIndex(where: { mayStart($0, now: now) && prefer(tasks[$0.index]) == free[0].0.id }) {
                    position = own
                }
            }
            let item = pending.remove(at: position)
            let (slot, owner) = free.remove(at: slotPosition)
            let task = tasks[item.index]
            var assignment = TaskAssignment(
                id: task.id, seq: nextSeq, prompt: task.prompt, command: task.command, cwd: task.cwd,
                timeout: task.timeout ?? options.timeout, attempt: item.attempt, workerPid: owner.pid)
            assignment.agent = task.agent
            if let placement = options.placement {
                do {
                    let place = try placement(task, slot.id)
                    assignment.cwd = place.cwd ?? assignment.cwd
                    assignment.commit = place.commit
                    assignment.setup = place.setup
                    assignment.setupMarker = place.setupMarker
                } catch {
                    free.insert((slot, owner), at: slotPosition)
                    finish(item.index, TaskResult(task: task, worker: slot.id, result: .synthetic(
                        .error, error: "could not prepare worker \(slot.id) for the task: \(error)", attempts: item.attempt)))
                    continue
                }
            }
            nextSeq += 1
            journal?.append(.assign, task: task.id, index: item.index, worker: slot.id, seq: assignment.seq, attempt: item.attempt)
            assignments.append((slot, assignment, InFlight(index: item.index, seq: assignment.seq, attempt: item.attempt, owner: owner)))
        }
        guard !assignments.isEmpty else { return }
        try journal?.sync()
        for (slot, assignment, flight) in assignments {
            do {
                try slot.write(assignment)
            } catch {
                pending.insert(Pending(index: flight.index, attempt: flight.attempt, notBefore: Date().addingTimeInterval(1)), at: 0)
                journal?.append(.retry, task: assignment.id, index: flight.index, worker: slot.id, reason: "could not write task.json: \(error)")
                continue
            }
            inFlight[slot.id] = flight
            taskFiles[slot.id] = TaskFileHead(seq: assignment.seq, workerPid: assignment.workerPid)
            options.events?(.assigned(index: flight.index, task: tasks[flight.index], worker: slot.id, attempt: flight.attempt))
        }
    }

    /// Slots with a live owner that is idle (or finished), fresh, and has nothing outstanding.
    private func freeSlots() -> [(WorkerSlot, SlotLock.Owner)] {
        slots.compactMap { slot in
            guard dirty.contains(slot.id), inFlight[slot.id] == nil, case .held(let owner) = SlotLock.probe(slot),
                  let status = try? slot.readStatus(), status.pid == owner.pid,
                  [.idle, .done, .error].contains(status.status),
                  Date().timeIntervalSince(status.heartbeat) <= options.heartbeatTimeout else { return nil }
            if let task = lastTask(of: slot), task.seq > status.seq, task.workerPid == owner.pid { return nil }
            return (slot, owner)
        }
    }

    /// The seq and addressee of `slot`'s `task.json` (nil when it has none). Read once per slot:
    /// only the orchestrator holding the queue's lock writes the file, and `assign` notes each write.
    private func lastTask(of slot: WorkerSlot) -> TaskFileHead? {
        if let known = taskFiles[slot.id] { return known }
        let head = (try? slot.readTask()).flatMap { $0 }.map { TaskFileHead(seq: $0.seq, workerPid: $0.workerPid) }
        taskFiles[slot.id] = .some(head)
        return head
    }

    private func hasLiveWorker() -> Bool {
        slots.contains { $0.liveOwner() != nil }
    }

    private func nextWakeInterval() -> TimeInterval {
        let now = Date()
        let backoff = pending.map { $0.notBefore.timeIntervalSince(now) }.filter { $0 > 0 }.min() ?? 1
        return max(0.01, min(1, backoff))
    }

    /// True when an agent task failed because the agent itself reported a rate or usage limit;
    /// what a command prints is never taken for one.
    static func hitRateLimit(_ outcome: TaskOutcome, of task: TaskSpec) -> Bool {
        task.prompt != nil && outcome.agent?.rateLimited == true
    }
}
