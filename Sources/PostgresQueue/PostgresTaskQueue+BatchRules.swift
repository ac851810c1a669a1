import FoundationEssentials
import Postgres
import Queue

/// What a batch's options make of its tasks on the queue beyond claims: a stopping failure
/// skips the batch's queued tasks, `--resume` puts failed and skipped tasks back, and a large
/// submit refreshes the table's statistics.
extension PostgresTaskQueue {
    /// Puts the failed and skipped tasks among `tasks` back in the queue (`--resume`), each with
    /// its spec and rules as given now and its lease expiries counted from zero again; attempts
    /// are kept, and tasks queued, claimed or done are left as they are. All or none; returns
    /// the ids put back.
    public func resubmit(batch: String, tasks: [TaskSubmission]) throws -> [String] {
        let requeued = try connection.transaction {
            var requeued: [String] = []
            for task in tasks {
                let rows = try connection.execute("""
                    UPDATE conductor.tasks SET state = 'queued', spec = $3::jsonb, expiry_limit = $4::int, stops_batch = $5::boolean,
                        expiries = 0, result = NULL, lease_until = NULL
                    WHERE batch = $1 AND id = $2 AND state IN ('failed', 'skipped')
                    RETURNING attempts
                    """, [batch, task.id, task.spec, task.expiryLimit.map(String.init), String(task.stopsBatch)])
                guard let attempts = rows.first.flatMap({ Int($0[0] ?? "") }) else { continue }
                try journal(batch: batch, task: task.id, event: "requeued", attempt: attempts, worker: nil)
                requeued.append(task.id)
            }
            if !requeued.isEmpty { try connection.execute("NOTIFY \(Self.channel)") }
            return requeued
        }
        analyzeAfter(requeued.count)
        return requeued
    }

    /// Skips the queued tasks of `batch` when a failed task stops it, in a transaction of its
    /// own; the ids skipped. The coordinator sweeps with it: a task given back at the very moment
    /// the stopper failed (each transaction blind to the other) stays queued otherwise, and
    /// claims pass it over.
    public func skipQueuedTasksOfStoppedBatch(_ batch: String) throws -> [String] {
        try connection.transaction { try skipQueuedTasksIfStopped(batch: batch) }
    }

    /// When `batch` has a failed task that stops it, skips its queued tasks (each journaled
    /// `skipped`, its result naming the failed task), as a local batch skips what has not
    /// started; returns the ids skipped. Call it in the transaction that failed or queued a task.
    @discardableResult
    func skipQueuedTasksIfStopped(batch: String) throws -> [String] {
        try connection.execute("""
            WITH stopper AS (
                SELECT id FROM conductor.tasks WHERE batch = $1 AND state = 'failed' AND stops_batch ORDER BY enqueued_at, id LIMIT 1),
            skipped AS (
                UPDATE conductor.tasks t SET state = 'skipped',
                    result = jsonb_build_object('error', format('skipped: task %s failed and stops dispatch (stopOnError)', stopper.id))
                FROM stopper WHERE t.batch = $1 AND t.state = 'queued'
                RETURNING t.id, t.attempts),
            logged AS (
                INSERT INTO conductor.journal (batch, task, event, attempt, worker)
                SELECT $1, id, 'skipped', attempts, NULL FROM skipped)
            SELECT id FROM skipped ORDER BY id
            """, [batch]).compactMap { $0[0] }
    }

    /// From this many tasks submitted or put back at once, `ANALYZE` follows: a table whose
    /// statistics predate them makes the planner sort all of a batch's queued tasks at every
    /// claim of that batch (2.8 ms at 8,000 queued tasks, against 0.02 ms after `ANALYZE`).
    static let analyzeThreshold = 100

    /// Brings the tasks table's statistics up to date after `count` tasks changed, when they are
    /// many. A failure is not the caller's (its tasks are committed by then): the statistics only
    /// make claims faster, and autovacuum brings them later anyway.
    func analyzeAfter(_ count: Int) {
        guard count >= Self.analyzeThreshold else { return }
        _ = try? connection.transaction {
            // A role that does not own the table is only warned, and the claim works as before.
            try connection.execute("SET LOCAL client_min_messages = error")
            try connection.execute("ANALYZE conductor.tasks")
        }
    }
}
