import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif
import Git
import PostgresQueue
import Queue
import Synchronization

/// A worker on any host serving a shared queue (issue 16): it re-queues expired claims,
/// claims a task with a lease it renews while the task runs (`LeaseKeeper`), runs it in its
/// checkout of the batch's remote (`RemoteCheckout`), pushes the worker's branch, and only then
/// records the result. A task whose earlier attempt already pushed its commit is not run again:
/// that commit is recorded.
public final class RemoteWorker: Sendable {
    public let configuration: RemoteWorkerConfiguration
    private let log: @Sendable (String) -> Void
    /// Whether the worker is stopping, the token of the claim it works on, and the task's process.
    private let control = Mutex<(stopping: Bool, claim: Int64?, running: ChildProcess?)>((false, nil, nil))
    private let wake = DispatchSemaphore(value: 0)
    private let host = RemoteWorker.hostName()

    public init(configuration: RemoteWorkerConfiguration, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.configuration = configuration
        self.log = log
    }

    /// Serves tasks until `stop()`. A queue that goes away (its database) is opened again every
    /// few seconds; the running task's lease then runs out, and its result is refused.
    ///
    /// - Throws: `TaskQueueError.workerNameTaken` when a live worker has this name, what opening
    ///   the queue throws the first time (a wrong URL, a refused login), and
    ///   `PostgresQueueError.newerSchema` or `TaskQueueError.newerFormat` when a newer conductor
    ///   migrated the queue meanwhile.
    public func run() throws {
        let name = configuration.name
        let directory = RemoteWorkerDirectory(path: configuration.directory)
        let hold = try directory.hold()
        defer { hold.release() }
        let leftovers = directory.endLeftoverTasks()
        if leftovers > 0 { log("worker \(name): ended \(leftovers) task process(es) a stopped worker left running in \(configuration.directory)") }
        let stale = directory.removeStaleGitLocks()
        if !stale.isEmpty {
            log("worker \(name): removed \(stale.count) lock file(s) a stopped worker left in its clones: \(stale.joined(separator: ", "))")
        }
        var queue: (any TaskQueue)? = try connect()
        let keeper = LeaseKeeper(queue: configuration.queue, lease: configuration.lease) { [log] in log("worker \(name): \($0)") }
        // Seconds to wait after this host could not prepare a checkout: 5, doubling up to a minute.
        var pause: Double = 0
        log("worker \(name) on \(host) (pid \(getpid())) serving \(configuration.queue), lease \(configuration.lease.formatted()) s, checkouts in \(configuration.directory)")
        while !isStopping {
            do {
                let tasks = try queue ?? connect()
                queue = tasks
                let requeued = try tasks.requeueExpired()
                if !requeued.isEmpty { log("worker \(name): leases ran out, back in the queue: \(requeued.joined(separator: ", "))") }
                guard let claim = try tasks.claim(worker: name, lease: configuration.lease) else {
                    try idle(tasks)
                    continue
                }
                if try handle(claim, queue: tasks, keeper: keeper) {
                    pause = 0
                } else {
                    pause = min(60, max(5, pause * 2))
                    log("worker \(name): waiting \(Int(pause)) s before claiming again")
                    _ = wake.wait(timeout: .now() + pause)
                }
            } catch {
                // A name still held after a reconnect is most often this worker's own old
                // session, which the server has not yet found dead: that is tried again too.
                if let error = error as? PostgresQueueError, case .newerSchema = error { throw error }
                if let error = error as? TaskQueueError, case .newerFormat = error { throw error }
                queue = nil
                log("worker \(name): the queue failed: \(configuration.queue.scrub("\(error)")); connecting again in 5 s")
                _ = wake.wait(timeout: .now() + 5)
            }
        }
        log("worker \(name) stopped")
    }

    /// Asks the worker to stop: the running task's process group is ended and its claim given
    /// back to the queue, then `run()` returns. Callable from any thread, any number of times.
    public func stop() {
        let child = control.withLock { state in
            state.stopping = true
            return state.running
        }
        child?.terminate(grace: configuration.grace)
        wake.signal()
    }

    private var isStopping: Bool { control.withLock { $0.stopping } }

    /// The queue, opened to hold the worker's name and listen for new tasks.
    private func connect() throws -> any TaskQueue {
        let queue = try configuration.queue.open()
        try queue.holdWorkerName(configuration.name, label: "conductor worker \(configuration.name) on \(host) pid \(getpid())")
        try queue.listenForWork()
        return queue
    }

    /// Waits, with nothing queued, until a submit or a re-queue notifies the queue, or for the
    /// poll interval (when expired claims are looked for again); in steps of at most a second,
    /// so that `stop()` is seen.
    private func idle(_ queue: any TaskQueue) throws {
        let deadline = Date().addingTimeInterval(configuration.pollInterval)
        while !isStopping, deadline.timeIntervalSinceNow > 0 {
            if try queue.waitForWork(timeout: min(1, deadline.timeIntervalSinceNow)) { return }
        }
    }

    /// Runs one claimed task to its recorded result, or gives it back when the worker stops, when
    /// this host cannot prepare the task's checkout, or when its agent hit a rate or usage limit
    /// before committing anything; false in those last two cases (the host or its account is in
    /// trouble, not the task: the worker waits, and another host may take it meanwhile).
    private func handle(_ claim: TaskClaim, queue: any TaskQueue, keeper: LeaseKeeper) throws -> Bool {
        let name = configuration.name
        log("worker \(name): task \(claim.task) of batch \(claim.batch) (attempt \(claim.attempt)) claimed")
        control.withLock { $0.claim = claim.token }
        defer { control.withLock { $0.claim = nil } }
        let renewal = keeper.keep(claim) { [self] in
            // A renewal that was under way when the task ended must not touch the next task.
            guard let current = control.withLock({ $0.claim == claim.token ? $0 : nil }) else { return }
            log("worker \(name): lost the lease of task \(claim.task) (this worker was stopped or cut off past it, and the task went back to the queue); ending the task: its result will not be recorded")
            current.running?.terminate(grace: configuration.grace)
        }
        let startedAt = Date()
        var outcome = TaskOutcome(taskId: claim.task, seq: Int(claim.token), status: .error, startedAt: startedAt, worker: 0,
                                  workerPid: getpid(), attempt: claim.attempt)
        var spec = TaskSpec.command("", id: claim.task)
        do {
            let task = try RemoteTask.decode(claim)
            spec = task.task
            outcome = try perform(task, claim: claim, queue: queue, renewal: renewal)
        } catch let unavailable as CheckoutUnavailable {
            renewal.stop()
            try giveBack(claim, to: queue, because: "could not prepare its checkout: \(unavailable.reason)")
            return false
        } catch {
            outcome.error = "\(error)"
        }
        renewal.stop()
        outcome.finishedAt = Date()
        outcome.durationMs = Int(outcome.finishedAt.timeIntervalSince(startedAt) * 1000)
        if outcome.status == .cancelled, isStopping, !renewal.isLost {
            try giveBack(claim, to: queue)
            return true
        }
        if outcome.status == .error, Dispatcher.hitRateLimit(outcome, of: spec), outcome.commits?.isEmpty ?? true, !renewal.isLost {
            try giveBack(claim, to: queue, because: outcome.error ?? "the agent hit a rate or usage limit")
            return false
        }
        let result = RemoteTaskResult(task: spec, worker: name, host: host, result: TaskResult.Outcome(outcome))
        let json = String(decoding: try QueueJSON.encoder.encode(result), as: UTF8.self)
        if try queue.complete(claim, succeeded: outcome.status == .done, result: json) {
            log("worker \(name): task \(claim.task) \(outcome.status.rawValue), recorded" + (outcome.commit.map { " (commit \($0.prefix(12)))" } ?? ""))
        } else {
            log("worker \(name): the result of task \(claim.task) (attempt \(claim.attempt)) was refused: its lease was lost and the task went back to the queue for a newer attempt; nothing of this attempt is recorded")
        }
        return true
    }

    /// Gives `claim` back to the queue and says so, with `reason` when it is not that the worker stops.
    private func giveBack(_ claim: TaskClaim, to queue: any TaskQueue, because reason: String? = nil) throws {
        let released = try queue.release(claim)
        log("worker \(configuration.name): task \(claim.task)" + (reason.map { " (\($0))" } ?? "")
            + (released ? " given back to the queue" : " was no longer this worker's (its lease ran out)"))
    }

    /// Runs `task` in its checkout (or finds the commit an earlier attempt pushed) and pushes
    /// the worker's branch; the outcome says what to record.
    private func perform(_ task: RemoteTask, claim: TaskClaim, queue: any TaskQueue,
                         renewal: LeaseKeeper.Renewal) throws -> TaskOutcome {
        let checkout = RemoteCheckout(task: task, worker: configuration.name, directory: configuration.directory) { [log, configuration] in
            log("worker \(configuration.name): \($0)")
        }
        let repository: Repository, start: ObjectID
        do {
            (repository, start) = try checkout.prepare()
        } catch let error as RemoteTaskError {
            throw error // the batch's base commit is not on the remote: no host can run the task
        } catch {
            throw CheckoutUnavailable(reason: "\(error)")
        }
        let earlierWork: (commit: CommitSummary, branch: String)?
        do {
            earlierWork = claim.attempt > 1 ? try earlierAttempt(checkout, repository: repository, claim: claim, queue: queue) : nil
        } catch {
            // A fetch or fence that failed, or fences that kept losing: this host's trouble, or the
            // moment's; another host (or this one, later) may take the task.
            throw CheckoutUnavailable(reason: "\(error)")
        }
        if let earlier = earlierWork {
            var outcome = TaskOutcome(taskId: claim.task, seq: Int(claim.token), status: .done, worker: 0, workerPid: getpid(),
                                      attempt: claim.attempt, commit: earlier.commit.id.hex, branch: earlier.branch)
            outcome.commits = [earlier.commit.id.hex]
            outcome.warnings = ["not run again: an earlier attempt already pushed its work as \(earlier.commit.id.short) on \(earlier.branch) before its worker stopped; that commit is recorded instead"]
            log("worker \(configuration.name): task \(claim.task) not run again: \(earlier.commit.id.short) on \(earlier.branch) is its commit")
            return outcome
        }
        var worker = WorkerConfiguration(id: 0, directory: checkout.worktreePath, queue: RemoteWorkerDirectory(path: configuration.directory).queue,
                                         agent: try task.agent.agent(environment: ProcessInfo.processInfo.environment))
        worker.name = configuration.name
        worker.defaultTimeout = configuration.defaultTimeout
        worker.grace = configuration.grace
        try worker.queue.create()
        let slot = worker.queue.slot(0)
        try slot.create()
        var commit = BatchRecord.commitRequest(for: task.task, batch: task.batch, worker: configuration.name)
        commit.worktree = checkout.worktreePath
        commit.branch = checkout.branch
        var assignment = TaskAssignment(id: task.task.id, seq: Int(claim.token), prompt: task.task.prompt, command: task.task.command,
                                        cwd: try Placement.directory(of: task.task, in: checkout.worktreePath),
                                        timeout: task.task.timeout, attempt: claim.attempt, workerPid: getpid(), commit: commit)
        assignment.agent = task.task.agent
        log("worker \(configuration.name): task \(claim.task) running in \(checkout.worktreePath) on \(checkout.branch)")
        var outcome = TaskRun(assignment: assignment, slot: slot, configuration: worker).perform { child in
            let stopping = control.withLock { state -> Bool in
                state.running = child
                return state.stopping
            }
            if stopping || renewal.isLost { child?.terminate(grace: configuration.grace) }
        } activity: { _, _ in }
        guard var commits = outcome.commits, !commits.isEmpty else { return outcome }
        // Checked once more just before the push; a worker stopped between this check and its push
        // is refused by the remote instead: the next attempt fences this branch (see `earlierAttempt`).
        guard !renewal.isLost, try queue.heartbeat(claim, lease: configuration.lease) else {
            log("worker \(configuration.name): task \(claim.task)'s lease was lost; its commit is not pushed (a newer attempt owns the task)")
            outcome.status = .error
            outcome.error = "the lease was lost before the push; the commit stays on this host only"
            return outcome
        }
        if let failure = checkout.push(repository, start: start, commits: &commits, seq: assignment.seq) {
            log("worker \(configuration.name): pushing \(checkout.branch) for task \(claim.task) failed: \(failure)")
            outcome.status = .error
            outcome.error = [outcome.error, "pushing \(checkout.branch) to the remote failed, so the task is not recorded as done: \(failure)"]
                .compactMap { $0 }.joined(separator: "; ")
        } else {
            outcome.commits = commits
            outcome.commit = commits.last
        }
        return outcome
    }

    /// Before a retry runs: the task's commit an earlier attempt pushed (fetched just now), else
    /// nil once every earlier claimant's branch is fenced, so that none of their late pushes
    /// can land a second commit of the task. A claimant that pushed meanwhile makes the fence a
    /// non-fast-forward: then fetch and look again. A branch that gained other work meanwhile (a
    /// live worker took the claimant's name again and pushes its own tasks) needs no fence: an
    /// old attempt's push cannot be made over that work either.
    private func earlierAttempt(_ checkout: RemoteCheckout, repository: Repository, claim: TaskClaim,
                                queue: any TaskQueue) throws -> (commit: CommitSummary, branch: String)? {
        let others = try queue.claimants(batch: claim.batch, task: claim.task).filter { $0 != configuration.name }
        // Each earlier claimant's branch, and where it was when this attempt began.
        var unfenced = try others.map { (name: $0, seen: try checkout.startingPoint(of: $0, in: repository)) }
        for _ in 0..<5 {
            if let found = try checkout.pushedCommit(in: repository) { return found }
            unfenced = try unfenced.filter { other, seen in
                let branch = "conductor/\(claim.batch)/\(other)"
                if try checkout.isBlocked(branchOf: other, since: seen, in: repository) {
                    log("worker \(configuration.name): task \(claim.task): \(branch) gained other work on the remote meanwhile, so a late push of its earlier attempt is refused without a fence")
                    return false
                }
                guard try checkout.fence(branchOf: other, attempt: claim.attempt, in: repository) else { return true }
                log("worker \(configuration.name): task \(claim.task): fenced \(branch) on the remote, so a late push of its earlier attempt is refused")
                return false
            }
            guard !unfenced.isEmpty else { return nil }
            try checkout.fetch(repository)
        }
        throw RemoteTaskError("the remote branches of the task's earlier workers (\(unfenced.map(\.name).joined(separator: ", "))) kept moving while this worker fenced them; task \(claim.task) is not run")
    }

    private static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "unknown host" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// This host could not clone or fetch the remote, or make the task's worktree: the task is given
/// back rather than failed, since a host that can reach the remote may run it.
private struct CheckoutUnavailable: Error {
    let reason: String
}
