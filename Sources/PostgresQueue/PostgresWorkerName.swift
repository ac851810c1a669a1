import FoundationEssentials
import Postgres
import Queue

/// Worker names on a shared queue: a name (`hostA-0`) is held by one live worker at a time.
///
/// The hold is a session advisory lock on the worker's connection, keyed by a 64-bit hash of the
/// name: the server lets it go when that connection ends (the worker exits or dies, or the server
/// notices its host is gone), and no row is left behind to clean up. A worker stopped (SIGSTOP)
/// keeps its connection and so its name, which is what makes a live duplicate impossible.
extension PostgresTaskQueue {
    /// Holds `name` for this connection's lifetime, and labels the connection with `label` (who
    /// holds it, shown to a worker that is refused).
    ///
    /// - Throws: `TaskQueueError.workerNameTaken` when a live worker holds the name.
    public func holdWorkerName(_ name: String, label: String) throws {
        try connection.execute("SELECT set_config('application_name', $1, false)", [String(label.prefix(63))])
        let held = try connection.execute("SELECT pg_try_advisory_lock(hashtextextended('conductor.worker:' || $1, 0))", [name])
        guard held.first?.first == "t" else {
            let holder = try connection.execute("""
                SELECT a.application_name, coalesce(host(a.client_addr), 'a local socket'), a.backend_start::text
                FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                WHERE l.locktype = 'advisory' AND l.granted
                  AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended('conductor.worker:' || $1, 0)
                """, [name]).first
            throw TaskQueueError.workerNameTaken(name, holder: holder.map { "\($0[0] ?? "?") from \($0[1] ?? "?"), connected since \($0[2] ?? "?")" })
        }
    }
}
