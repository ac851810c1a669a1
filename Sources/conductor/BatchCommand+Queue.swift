import ArgumentParser
import Conductor
import FoundationEssentials
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

/// `conductor batch --queue postgres://…` (or `file:///…`): the coordinator of a batch whose
/// workers may run on any host (issue 16).
extension BatchCommand {
    /// The shared queue: `--queue`, else `$CONDUCTOR_QUEUE` when it is one (a queue directory
    /// there keeps a batch local, as before).
    var sharedQueue: TaskQueueAddress? {
        get throws { try QueueOptions.sharedQueue(queue) }
    }

    func validateRemote() throws {
        if let workers, !(0...256).contains(workers) { throw ValidationError("--workers must be 0 to 256 with a shared queue (0: only other hosts' workers), got \(workers)") }
        if !resume && tasksFile == nil { throw ValidationError("give a tasks file (or - for standard input)") }
        if !resume && !worktrees { throw ValidationError("a batch on a shared queue commits each worker's work on its own branch: add --worktrees") }
        if pool || runOptions.sequential { throw ValidationError("--pool and --sequential are for a local batch, not one on a shared queue") }
        if runOptions.backoff != nil || runOptions.heartbeatTimeout != nil {
            throw ValidationError("--backoff and --heartbeat-timeout are for a local batch; on a shared queue a worker's lease (conductor worker --lease, default 30 s) is how long a silent host keeps its task, and a worker whose agent hits a rate limit waits 5 s, doubling up to a minute")
        }
        if runOptions.joblog != nil {
            throw ValidationError("--joblog is for a local batch; a batch on a shared queue keeps its journal in the queue (conductor status -n NAME --queue ADDRESS) and its results in results.jsonl")
        }
    }

    /// Runs (or resumes) the batch on `queue`; every error is shown without the queue's password.
    func runRemote(_ queue: TaskQueueAddress) throws {
        try hidingPassword(of: queue) {
            let plan = try resume ? remoteResumePlan(queue) : newPlan(storeOptions.store) { planned in
                var checked = try RemoteBatchBase.check(planned, queue: queue, remoteName: remote, localWorkers: planned.record.workers)
                checked.record.workers = 0
                return checked
            }
            let record = plan.record
            let options = RemoteBatchOptions(timeout: runOptions.timeout, retries: runOptions.retries, stopOnError: runOptions.stopOnError)
            let batch = RemoteBatchRun(plan: plan, queue: queue, options: options) { printError($0) }
            let progress = ProgressPrinter(total: plan.tasks.count) { batch.workerName($0) ?? String($0) }
            SignalTrap.install([SIGINT, SIGTERM, SIGHUP]) { _ in
                progress.noteInterrupt("interrupted: stopping the local workers (their tasks go back to the queue); other hosts' workers go on")
                batch.interrupt()
            }
            let destination = record.remote.map { "\($0.remoteName) (\($0.remoteURL))" } ?? ""
            printError("batch \(record.name): \(plan.tasks.count) task(s) on the queue \(queue), \(record.remote?.localWorkers ?? 0) local worker(s), branches pushed to \(destination)")
            printError("on other hosts: conductor worker NAME DIR --queue '\(queue)'")
            try conclude(try batch.run(events: progress.handle))
        }
    }

    /// The plan of the remote batch to resume: its own tasks, the queue holding its state.
    private func remoteResumePlan(_ queue: TaskQueueAddress) throws -> BatchPlan {
        let record = try storeOptions.store.choose(name, for: .change)
        if let problem = record.queueProblem(queue) { throw InputError(problem) }
        var plan = try BatchPlan.resuming(record, checking: tasksFile == "-" ? nil : tasksFile)
        if let workers { plan.record.remote?.localWorkers = workers }
        return plan
    }
}
