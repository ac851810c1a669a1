import FoundationEssentials
import Postgres

/// The `conductor` schema, made and migrated by the queue itself: each version's statements
/// run once, in order, and `conductor.schema_version` gets a row per version.
extension PostgresTaskQueue {
    /// Creates the schema, or brings it to `schemaVersion`, under an advisory lock so that
    /// workers starting together migrate once.
    func migrate() throws {
        try connection.transaction {
            try connection.execute("SELECT pg_advisory_xact_lock(hashtext('conductor.schema'))")
            // The server's notices ("schema … already exists, skipping") would reach stderr.
            try connection.execute("SET LOCAL client_min_messages = warning")
            try connection.execute("CREATE SCHEMA IF NOT EXISTS conductor")
            try connection.execute("CREATE TABLE IF NOT EXISTS conductor.schema_version (version int NOT NULL)")
            let version = try connection.execute("SELECT max(version) FROM conductor.schema_version").first?.first.flatMap { $0 }.flatMap { Int($0) } ?? 0
            guard version <= Self.schemaVersion else { throw PostgresQueueError.newerSchema(found: version, known: Self.schemaVersion) }
            for (index, statements) in Self.migrations.enumerated() where index + 1 > version {
                for statement in statements { try connection.execute(statement) }
                try connection.execute("INSERT INTO conductor.schema_version (version) VALUES ($1)", [String(index + 1)])
            }
        }
    }

    /// Each version's statements, version 1 first.
    static var migrations: [[String]] { [version1, version2] }

    /// Schema version 1: tasks with their leases, and the journal.
    static let version1 = [
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

    /// Schema version 2: a batch's options on its tasks. `expiries` counts the task's lease
    /// expiries (since it was last put back by `resubmit`), `expiry_limit` is how many it may
    /// have (null: no limit), `stops_batch` whether its failure skips the batch's queued tasks,
    /// and `skipped` is a state; `tasks_stoppers` finds a batch's failed stopper for each claim.
    /// A version-1 database's tasks get the expiries its journal counts.
    static let version2 = [
        """
        ALTER TABLE conductor.tasks
            ADD COLUMN expiries int NOT NULL DEFAULT 0,
            ADD COLUMN expiry_limit int,
            ADD COLUMN stops_batch boolean NOT NULL DEFAULT false,
            DROP CONSTRAINT tasks_state_check,
            ADD CONSTRAINT tasks_state_check CHECK (state IN ('queued', 'claimed', 'done', 'failed', 'skipped'))
        """,
        """
        UPDATE conductor.tasks t SET expiries = e.count
        FROM (SELECT batch, task, count(*) FROM conductor.journal WHERE event = 'expired' GROUP BY batch, task) e
        WHERE t.batch = e.batch AND t.id = e.task
        """,
        "CREATE INDEX tasks_stoppers ON conductor.tasks (batch) WHERE state = 'failed' AND stops_batch",
    ]
}
