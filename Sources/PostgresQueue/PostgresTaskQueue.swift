import FoundationEssentials
import Postgres

/// Tasks in PostgreSQL, claimed as leases: the queue that lets workers on many hosts share one
/// batch (issue 16). Every change is one statement or one transaction, and each is journaled in
/// the same transaction.
///
/// - A worker claims the oldest queued task with `FOR UPDATE SKIP LOCKED`, so concurrent claims
///   never wait on each other nor take the same task. The claim is a lease until `leaseUntil`
///   with a token that grows with every claim.
/// - The worker renews the lease (`heartbeat`). A claim whose lease ran out (its host died, was cut
///   off or stopped) goes back to the queue (`requeueExpired`), and its next claim counts one
///   attempt more.
/// - `complete` is accepted only with the current token while the lease holds: a stale worker can
///   never record a result over a newer attempt.
public final class PostgresTaskQueue {
    /// One claimed task.
    public struct Claim: Sendable, Equatable {
        public let batch: String
        public let task: String
        /// The task as JSON, as it was submitted.
        public let spec: String
        /// 1 for the first claim of the task, then one more for each claim after a lease ran out.
        public let attempt: Int
        /// What `heartbeat` and `complete` must present: only the latest claim holds it.
        public let token: Int64
    }

    /// A task's row, for status and results.
    public struct Row: Sendable, Equatable {
        public enum State: String, Sendable { case queued, claimed, done, failed }
        public let task: String
        public let state: State
        public let attempts: Int
        public let claimedBy: String?
        public let result: String?
    }

    /// The version of the schema this code creates and reads.
    public static let schemaVersion = 1
    let connection: PostgresConnection

    /// Uses `connection` (one per thread), creating or migrating the `conductor` schema first.
    ///
    /// - Throws: `PostgresError`, or `PostgresQueueError.newerSchema` when the database was made by
    ///   a newer conductor.
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

    public init(connection: PostgresConnection) throws {
        self.connection = connection
        try migrate()
    }

    /// Adds `tasks` (id and JSON) to `batch`, all or none.
    public func submit(batch: String, tasks: [(id: String, spec: String)]) throws {
        try connection.transaction {
            for task in tasks {
                try connection.execute("INSERT INTO conductor.tasks (batch, id, spec) VALUES ($1, $2, $3::jsonb)", [batch, task.id, task.spec])
                try journal(batch: batch, task: task.id, event: "submit", attempt: 0, worker: nil)
            }
            try connection.execute("NOTIFY \(Self.channel)")
        }
    }

    /// Claims the oldest queued task (of `batch`, or of any batch) for `worker` with a lease of
    /// `lease` seconds; nil when nothing is queued.
    public func claim(worker: String, lease: Double, batch: String? = nil) throws -> Claim? {
        let rows = try connection.execute("""
            WITH next AS (
                SELECT batch, id FROM conductor.tasks
                WHERE state = 'queued' AND ($3::text IS NULL OR batch = $3)
                ORDER BY enqueued_at, id LIMIT 1 FOR UPDATE SKIP LOCKED),
            claimed AS (
                UPDATE conductor.tasks t SET state = 'claimed', attempts = t.attempts + 1, claimed_by = $1,
                    lease_until = now() + make_interval(secs => $2::float8), token = nextval('conductor.claim_tokens')
                FROM next WHERE t.batch = next.batch AND t.id = next.id
                RETURNING t.batch, t.id, t.spec::text, t.attempts, t.token),
            logged AS (
                INSERT INTO conductor.journal (batch, task, event, attempt, worker)
                SELECT batch, id, 'claim', attempts, $1 FROM claimed)
            SELECT * FROM claimed
            """, [worker, String(lease), batch])
        guard let row = rows.first, let attempt = Int(row[3] ?? ""), let token = Int64(row[4] ?? "") else { return nil }
        return Claim(batch: row[0] ?? "", task: row[1] ?? "", spec: row[2] ?? "", attempt: attempt, token: token)
    }

    /// Renews the lease of `claim` for `lease` seconds; false when it is no longer the task's
    /// current claim (the lease ran out and the task went back, or was claimed again).
    public func heartbeat(_ claim: Claim, lease: Double) throws -> Bool {
        try !connection.execute("""
            UPDATE conductor.tasks SET lease_until = now() + make_interval(secs => $4::float8)
            WHERE batch = $1 AND id = $2 AND token = $3 AND state = 'claimed' AND lease_until > now()
            RETURNING 1
            """, [claim.batch, claim.task, String(claim.token), String(lease)]).isEmpty
    }

    /// Records the result (JSON) of `claim`; false, and nothing recorded, when its lease was lost.
    public func complete(_ claim: Claim, succeeded: Bool, result: String) throws -> Bool {
        try connection.transaction {
            let rows = try connection.execute("""
                UPDATE conductor.tasks SET state = $4, result = $5::jsonb, lease_until = NULL
                WHERE batch = $1 AND id = $2 AND token = $3 AND state = 'claimed' AND lease_until > now()
                RETURNING claimed_by
                """, [claim.batch, claim.task, String(claim.token), succeeded ? "done" : "failed", result])
            guard let row = rows.first else { return false }
            try journal(batch: claim.batch, task: claim.task, event: succeeded ? "done" : "failed", attempt: claim.attempt, worker: row[0])
            return true
        }
    }

    /// Gives `claim` back to the queue before its lease runs out (its worker is stopping); its
    /// next claim counts one attempt more. False when it was no longer this worker's claim.
    @discardableResult
    public func release(_ claim: Claim) throws -> Bool {
        try connection.transaction {
            let rows = try connection.execute("""
                UPDATE conductor.tasks SET state = 'queued', lease_until = NULL
                WHERE batch = $1 AND id = $2 AND token = $3 AND state = 'claimed' AND lease_until > now()
                RETURNING claimed_by
                """, [claim.batch, claim.task, String(claim.token)])
            guard let row = rows.first else { return false }
            try journal(batch: claim.batch, task: claim.task, event: "released", attempt: claim.attempt, worker: row[0])
            try connection.execute("NOTIFY \(Self.channel)")
            return true
        }
    }

    /// The workers that claimed `task` of `batch` so far, in the order of their first claim.
    public func claimants(batch: String, task: String) throws -> [String] {
        try connection.execute("""
            SELECT worker FROM conductor.journal WHERE batch = $1 AND task = $2 AND event = 'claim' AND worker IS NOT NULL
            GROUP BY worker ORDER BY min(seq)
            """, [batch, task]).compactMap { $0[0] }
    }

    /// Puts every claim whose lease ran out back in the queue; returns the tasks it put back.
    @discardableResult
    public func requeueExpired() throws -> [String] {
        try connection.transaction {
            let rows = try connection.execute("""
                WITH expired AS (
                    UPDATE conductor.tasks SET state = 'queued', lease_until = NULL
                    WHERE state = 'claimed' AND lease_until <= now()
                    RETURNING batch, id, attempts, claimed_by),
                logged AS (
                    INSERT INTO conductor.journal (batch, task, event, attempt, worker)
                    SELECT batch, id, 'expired', attempts, claimed_by FROM expired)
                SELECT batch, id FROM expired ORDER BY batch, id
                """)
            if !rows.isEmpty { try connection.execute("NOTIFY \(Self.channel)") }
            return rows.map { "\($0[0] ?? "")/\($0[1] ?? "")" }
        }
    }

    /// Every task of `batch`, in submission order.
    public func rows(batch: String) throws -> [Row] {
        try connection.execute("""
            SELECT id, state, attempts, claimed_by, result::text FROM conductor.tasks WHERE batch = $1 ORDER BY enqueued_at, id
            """, [batch]).map { row in
            Row(task: row[0] ?? "", state: Row.State(rawValue: row[1] ?? "") ?? .queued, attempts: Int(row[2] ?? "") ?? 0,
                claimedBy: row[3], result: row[4])
        }
    }

    /// The journal's events for `batch`, oldest first: (task, event, attempt, worker).
    public func journal(batch: String) throws -> [(task: String, event: String, attempt: Int, worker: String?)] {
        try connection.execute("SELECT task, event, attempt, worker FROM conductor.journal WHERE batch = $1 ORDER BY seq", [batch]).map {
            ($0[0] ?? "", $0[1] ?? "", Int($0[2] ?? "") ?? 0, $0[3])
        }
    }

    private func journal(batch: String, task: String, event: String, attempt: Int, worker: String?) throws {
        try connection.execute("INSERT INTO conductor.journal (batch, task, event, attempt, worker) VALUES ($1, $2, $3, $4, $5)",
                               [batch, task, event, String(attempt), worker])
    }

    /// Creates the schema, or brings it to `schemaVersion`, under an advisory lock so that
    /// workers starting together migrate once.
    private func migrate() throws {
        try connection.transaction {
            try connection.execute("SELECT pg_advisory_xact_lock(hashtext('conductor.schema'))")
            // The server's notices ("schema … already exists, skipping") would reach stderr.
            try connection.execute("SET LOCAL client_min_messages = warning")
            try connection.execute("CREATE SCHEMA IF NOT EXISTS conductor")
            try connection.execute("CREATE TABLE IF NOT EXISTS conductor.schema_version (version int NOT NULL)")
            let version = try connection.execute("SELECT max(version) FROM conductor.schema_version").first?.first.flatMap { $0 }.flatMap { Int($0) } ?? 0
            guard version <= Self.schemaVersion else { throw PostgresQueueError.newerSchema(found: version, known: Self.schemaVersion) }
            if version < 1 {
                for statement in Self.version1 { try connection.execute(statement) }
                try connection.execute("INSERT INTO conductor.schema_version (version) VALUES (1)")
            }
        }
    }

    /// Schema version 1: tasks with their leases, and the journal.
    private static let version1 = [
        "CREATE SEQUENCE conductor.claim_tokens",
        """
        CREATE TABLE conductor.tasks (
            batch text NOT NULL,
            id text NOT NULL,
            spec jsonb NOT NULL,
            state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'claimed', 'done', 'failed')),
            attempts int NOT NULL DEFAULT 0,
            claimed_by text,
            lease_until timestamptz,
            token bigint,
            result jsonb,
            enqueued_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            PRIMARY KEY (batch, id))
        """,
        "CREATE INDEX tasks_queued ON conductor.tasks (enqueued_at, id) WHERE state = 'queued'",
        """
        CREATE TABLE conductor.journal (
            seq bigserial PRIMARY KEY,
            at timestamptz NOT NULL DEFAULT clock_timestamp(),
            batch text NOT NULL,
            task text NOT NULL,
            event text NOT NULL,
            attempt int NOT NULL,
            worker text)
        """,
    ]
}

/// Why the PostgreSQL queue cannot be used.
public enum PostgresQueueError: Error, CustomStringConvertible, Equatable {
    case newerSchema(found: Int, known: Int)
    /// A live worker already holds this name (`holder` says who, when the server shows it).
    case workerNameTaken(String, holder: String?)

    public var description: String {
        switch self {
        case .newerSchema(let found, let known):
            "the database's conductor schema is version \(found), newer than this conductor knows (\(known)); upgrade conductor"
        case .workerNameTaken(let name, let holder):
            "worker name '\(name)' is held by a live worker" + (holder.map { " (\($0))" } ?? "")
                + "; give this one another name (e.g. its host name and a number), or stop that worker first"
        }
    }
}
