import FoundationEssentials
import Postgres
import Queue

/// Tasks in PostgreSQL, claimed as leases: the queue that lets workers on many hosts share one
/// batch (issue 16). Every change is one statement or one transaction, and each is journaled in
/// the same transaction.
///
/// - A worker claims the oldest queued task with `FOR UPDATE SKIP LOCKED`, so concurrent claims
///   never wait on each other nor take the same task. The claim is a lease until `leaseUntil`
///   with a token that grows with every claim.
/// - The worker renews the lease (`heartbeat`). A claim whose lease ran out (its host died, was cut
///   off or stopped) goes back to the queue (`requeueExpired`), and its next claim counts one
///   attempt more; past its task's `expiryLimit`, the task fails instead.
/// - A failure of a task that `stopsBatch` skips the batch's queued tasks; `resubmit` puts
///   failed and skipped tasks back (`--resume`).
/// - `complete` is accepted only with the current token while the lease holds: a stale worker can
///   never record a result over a newer attempt.
public final class PostgresTaskQueue: TaskQueue {
    /// The version of the schema this code creates and reads.
    public static let schemaVersion = 2
    let connection: PostgresConnection

    /// The channel `submit` and `requeueExpired` notify, which `waitForWork` listens on.
    static let channel = "conductor_tasks"

    /// Subscribes this queue's connection to the notices of new and re-queued tasks, so that
    /// `waitForWork` returns as soon as there are some. Call it once, before the first claim.
    public func listenForWork() throws {
        try connection.listen(Self.channel)
    }

    /// Waits until tasks are submitted or re-queued (by any connection), at most `timeout`
    /// seconds; true when woken. Needs `listenForWork()`; a timeout is when to look anyway.
    ///
    /// - Throws: `PostgresError` when the connection is lost.
    public func waitForWork(timeout: Double) throws -> Bool {
        try connection.waitForNotification(timeout: timeout)
    }

    /// Uses `connection` (one per thread), creating or migrating the `conductor` schema first.
    ///
    /// - Throws: `PostgresError`, or `PostgresQueueError.newerSchema` when the database was made by
    ///   a newer conductor.
    public init(connection: PostgresConnection) throws {
        self.connection = connection
        try migrate()
    }

    /// Adds `tasks` (id and JSON) to `batch`, all or none, without limits.
    public func submit(batch: String, tasks: [(id: String, spec: String)]) throws {
        try submit(batch: batch, tasks: tasks.map { TaskSubmission(id: $0.id, spec: $0.spec) })
    }

    /// Adds `tasks` to `batch`, all or none. After a large submit the table's statistics are
    /// brought up to date, so that a claim finds the batch's next task by its index instead of
    /// sorting all of its queued tasks.
    public func submit(batch: String, tasks: [TaskSubmission]) throws {
        try connection.transaction {
            for task in tasks {
                try connection.execute("""
                    INSERT INTO conductor.tasks (batch, id, spec, expiry_limit, stops_batch) VALUES ($1, $2, $3::jsonb, $4::int, $5::boolean)
                    """, [batch, task.id, task.spec, task.expiryLimit.map(String.init), String(task.stopsBatch)])
                try journal(batch: batch, task: task.id, event: "submit", attempt: 0, worker: nil)
            }
            try connection.execute("NOTIFY \(Self.channel)")
        }
        analyzeAfter(tasks.count)
    }

    /// Claims the oldest queued task (of `batch`, or of any batch) for `worker` with a lease of
    /// `lease` seconds; nil when nothing is queued.
    public func claim(worker: String, lease: Double, batch: String?) throws -> TaskClaim? {
        let rows = try connection.execute("""
            WITH next AS (\(Self.nextQueued)),
            claimed AS (
                UPDATE conductor.tasks t SET state = 'claimed', attempts = t.attempts + 1, claimed_by = $2,
                    lease_until = now() + make_interval(secs => $3::float8), token = nextval('conductor.claim_tokens')
                FROM next WHERE t.batch = next.batch AND t.id = next.id
                RETURNING t.batch, t.id, t.spec::text, t.attempts, t.token),
            logged AS (
                INSERT INTO conductor.journal (batch, task, event, attempt, worker)
                SELECT batch, id, 'claim', attempts, $2 FROM claimed)
            SELECT * FROM claimed
            """, [batch, worker, String(lease)])
        guard let row = rows.first, let attempt = Int(row[3] ?? ""), let token = Int64(row[4] ?? "") else { return nil }
        return TaskClaim(batch: row[0] ?? "", task: row[1] ?? "", spec: row[2] ?? "", attempt: attempt, token: token)
    }

    /// The oldest queued task (of batch `$1`, or of any batch when it is null) of a batch that no
    /// failed task stops, locked for its claim. (`NOT IN`, not `NOT EXISTS`: the planner then
    /// keeps walking the queued-tasks index in order, with the stopped batches hashed beside it,
    /// where an anti-join made it sort every queued task of the batch.)
    static let nextQueued = """
        SELECT q.batch, q.id FROM conductor.tasks q
        WHERE q.state = 'queued' AND ($1::text IS NULL OR q.batch = $1)
            AND q.batch NOT IN (SELECT batch FROM conductor.tasks WHERE state = 'failed' AND stops_batch)
        ORDER BY q.enqueued_at, q.id LIMIT 1 FOR UPDATE OF q SKIP LOCKED
        """

    /// Renews the lease of `claim` for `lease` seconds; false when it is no longer the task's
    /// current claim (the lease ran out and the task went back, or was claimed again).
    public func heartbeat(_ claim: TaskClaim, lease: Double) throws -> Bool {
        try !connection.execute("""
            UPDATE conductor.tasks SET lease_until = now() + make_interval(secs => $4::float8)
            WHERE batch = $1 AND id = $2 AND token = $3 AND state = 'claimed' AND lease_until > now()
            RETURNING 1
            """, [claim.batch, claim.task, String(claim.token), String(lease)]).isEmpty
    }

    /// Records the result (JSON) of `claim`; false, and nothing recorded, when its lease was lost.
    /// A failure of a task that stops its batch skips the batch's queued tasks.
    public func complete(_ claim: TaskClaim, succeeded: Bool, result: String) throws -> Bool {
        try connection.transaction {
            let rows = try connection.execute("""
                UPDATE conductor.tasks SET state = $4, result = $5::jsonb, lease_until = NULL
                WHERE batch = $1 AND id = $2 AND token = $3 AND state = 'claimed' AND lease_until > now()
                RETURNING claimed_by
                """, [claim.batch, claim.task, String(claim.token), succeeded ? "done" : "failed", result])
            guard let row = rows.first else { return false }
            try journal(batch: claim.batch, task: claim.task, event: succeeded ? "done" : "failed", attempt: claim.attempt, worker: row[0])
            if !succeeded { try skipQueuedTasksIfStopped(batch: claim.batch) }
            return true
        }
    }

    /// Gives `claim` back to the queue before its lease runs out (its worker is stopping); its
    /// next claim counts one attempt more (but no lease expiry), unless its batch was stopped
    /// meanwhile: then it is skipped. False when it was no longer this worker's claim.
    @discardableResult
    public func release(_ claim: TaskClaim) throws -> Bool {
        try connection.transaction {
            let rows = try connection.execute("""
                UPDATE conductor.tasks SET state = 'queued', lease_until = NULL
                WHERE batch = $1 AND id = $2 AND token = $3 AND state = 'claimed' AND lease_until > now()
                RETURNING claimed_by
                """, [claim.batch, claim.task, String(claim.token)])
            guard let row = rows.first else { return false }
            try journal(batch: claim.batch, task: claim.task, event: "released", attempt: claim.attempt, worker: row[0])
            try connection.execute("NOTIFY \(Self.channel)")
            try skipQueuedTasksIfStopped(batch: claim.batch)
            return true
        }
    }

    /// The workers that claimed `task` of `batch` so far, in the order of their first claim, but
    /// for claims they gave back (`release`): those ended before their worker let go of them.
    public func claimants(batch: String, task: String) throws -> [String] {
        try connection.execute("""
            SELECT c.worker FROM conductor.journal c
            WHERE c.batch = $1 AND c.task = $2 AND c.event = 'claim' AND c.worker IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM conductor.journal r WHERE r.batch = c.batch AND r.task = c.task
                                AND r.event = 'released' AND r.attempt = c.attempt AND r.worker = c.worker)
            GROUP BY c.worker ORDER BY min(c.seq)
            """, [batch, task]).compactMap { $0[0] }
    }

    /// Puts every claim whose lease ran out back in the queue, or, when that was once more than
    /// its task's `expiryLimit`, fails the task (so that a task which kills every host it lands
    /// on cannot take down the whole fleet); a task of a stopped batch is skipped instead.
    /// Returns the tasks it put back (`batch/id`).
    @discardableResult
    public func requeueExpired() throws -> [String] {
        try connection.transaction {
            let rows = try connection.execute("""
                WITH expired AS (
                    UPDATE conductor.tasks SET expiries = expiries + 1, lease_until = NULL,
                        state = CASE WHEN expiries >= expiry_limit THEN 'failed' ELSE 'queued' END,
                        result = CASE WHEN expiries >= expiry_limit THEN jsonb_build_object('error', format(
                            'its lease ran out %s time(s) (each time its worker''s host died, was stopped or cut off), more than the %s allowed (--retries); not queued again',
                            expiries + 1, expiry_limit)) END
                    WHERE state = 'claimed' AND lease_until <= now()
                    RETURNING batch, id, attempts, claimed_by, state),
                logged AS (
                    INSERT INTO conductor.journal (batch, task, event, attempt, worker)
                    SELECT batch, id, 'expired', attempts, claimed_by FROM expired
                    UNION ALL SELECT batch, id, 'failed', attempts, claimed_by FROM expired WHERE state = 'failed')
                SELECT batch, id, state FROM expired ORDER BY batch, id
                """)
            guard !rows.isEmpty else { return [] }
            try connection.execute("NOTIFY \(Self.channel)")
            var skipped: Set<[String?]> = []
            for batch in Set(rows.map { $0[0] }) {
                skipped.formUnion(try skipQueuedTasksIfStopped(batch: batch ?? "").map { [batch, $0] })
            }
            return rows.filter { $0[2] == "queued" && !skipped.contains([$0[0], $0[1]]) }.map { "\($0[0] ?? "")/\($0[1] ?? "")" }
        }
    }

    /// Every task of `batch`, in submission order.
    public func rows(batch: String) throws -> [QueuedTask] {
        try connection.execute("""
            SELECT id, state, attempts, claimed_by, result::text, spec::text FROM conductor.tasks WHERE batch = $1 ORDER BY enqueued_at, id
            """, [batch]).map { row in
            QueuedTask(task: row[0] ?? "", state: QueuedTask.State(rawValue: row[1] ?? "") ?? .queued, attempts: Int(row[2] ?? "") ?? 0,
                claimedBy: row[3], result: row[4], spec: row[5] ?? "")
        }
    }

    /// The journal's events for `batch`, oldest first: (task, event, attempt, worker).
    public func journal(batch: String) throws -> [QueueEvent] {
        try connection.execute("SELECT task, event, attempt, worker FROM conductor.journal WHERE batch = $1 ORDER BY seq", [batch]).map {
            QueueEvent(task: $0[0] ?? "", event: $0[1] ?? "", attempt: Int($0[2] ?? "") ?? 0, worker: $0[3])
        }
    }

    func journal(batch: String, task: String, event: String, attempt: Int, worker: String?) throws {
        try connection.execute("INSERT INTO conductor.journal (batch, task, event, attempt, worker) VALUES ($1, $2, $3, $4, $5)",
                               [batch, task, event, String(attempt), worker])
    }
}

/// Why the PostgreSQL queue cannot be used.
public enum PostgresQueueError: Error, CustomStringConvertible, Equatable {
    case newerSchema(found: Int, known: Int)

    public var description: String {
        switch self {
        case .newerSchema(let found, let known):
            "the database's conductor schema is version \(found), newer than this conductor knows (\(known)); upgrade conductor"
        }
    }
}
