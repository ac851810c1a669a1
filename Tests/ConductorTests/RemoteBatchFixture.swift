import Conductor
import Foundation
import Postgres
import PostgresQueue
import TestSupport

/// A coordinator (`conductor batch --queue postgres://…`) over `RemoteWorkerFixture`'s hosts:
/// the source repository gets the bare remote as `origin`, and the coordinator a HOME and a
/// store of its own.
extension RemoteWorkerFixture {
    /// `-d` for the coordinator.
    var store: String { scratch.appending("coordinator/store") }

    /// The coordinator's environment: its own HOME, no queue directory in the way.
    var coordinatorEnvironment: [String: String] {
        ["HOME": scratch.appending("coordinator/home"), "CONDUCTOR_QUEUE": "", "GIT_CONFIG_NOSYSTEM": "1"]
    }

    /// Adds the bare remote as the source repository's `origin` and writes a tasks file for it
    /// with command tasks `ids`, each running `command`; returns the file's path.
    func remoteTasksFile(_ ids: [String], command: String) throws -> String {
        try remoteTasksFile(tasks: ids.map { ["id": $0, "command": command] })
    }

    /// Adds the bare remote as the source repository's `origin` and writes a tasks file for it
    /// with `tasks` as they are; returns the file's path.
    func remoteTasksFile(tasks: [[String: Any]]) throws -> String {
        if try source.git(["remote"]).isEmpty { try source.git(["remote", "add", "origin", remote]) }
        try FileManager.default.createDirectory(atPath: scratch.appending("coordinator/home"), withIntermediateDirectories: true)
        let file: [String: Any] = ["repo": source.path, "tasks": tasks]
        let path = scratch.appending("tasks.json")
        try JSONSerialization.data(withJSONObject: file).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Starts the coordinator of batch `name` with `workers` local workers.
    func startCoordinator(_ name: String, tasksFile: String, workers: Int, extra: [String] = []) throws -> BackgroundProcess {
        try BackgroundProcess([Binaries.conductor, "batch", "--worktrees", "-w", String(workers), "--queue", url, "-d", store, "-n", name]
                              + extra + [tasksFile], directory: source.path, environment: coordinatorEnvironment)
    }

    /// The batch's `results.jsonl`, one object per line.
    func results(batch: String) throws -> [[String: Any]] {
        try String(contentsOfFile: "\(store)/\(batch)/results.jsonl", encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
        }
    }

    /// The worker branches `report.json` covers, by name.
    func reportedBranches(batch: String) throws -> Set<String> {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(store)/\(batch)/report.json"))
        let report = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        let repos = report["repos"] as? [[String: Any]] ?? []
        return Set(repos.flatMap { ($0["workers"] as? [[String: Any]] ?? []).compactMap { $0["branch"] as? String } })
    }

    /// `conductor list --json`'s entry of `batch`: its state and finished tasks.
    func listing(batch: String) async throws -> (state: String?, finished: Int?) {
        let (store, environment) = (store, coordinatorEnvironment)
        let listed = try await offThePool { try run([Binaries.conductor, "list", "-d", store, "--json"], environment: environment) }
        let entries = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]] ?? []
        let entry = entries.first { $0["name"] as? String == batch }
        return (entry?["state"] as? String, entry?["finished"] as? Int)
    }

    /// The hosts of the multi-host chaos tests.
    static let chaosHosts = ["hostA-0", "hostB-0", "hostC-0"]

    /// A task command for the chaos tests: it notes which worker started it, waits on the gate,
    /// then writes `<task id>.txt`.
    var chaosTaskCommand: String {
        let started = scratch.appending("started")
        try? FileManager.default.createDirectory(atPath: started, withIntermediateDirectories: true)
        return #"touch "\#(started)/$CONDUCTOR_WORKER"; \#(waitForGate); echo "$CONDUCTOR_TASK_ID" > "$CONDUCTOR_TASK_ID.txt""#
    }

    /// Starts the chaos hosts (lease 2 s) on tasks of `batch` running `chaosTaskCommand`; once each
    /// runs one, `kill -9`s hostA-0, stops hostB-0 (SIGSTOP) and opens the gate. Returns the
    /// tasks the killed and the stopped host held, or nil when not every host got a task.
    func killOneHostAndStopAnother(batch: String) async throws -> (killed: String, stopped: String)? {
        let names = Self.chaosHosts
        for name in names { try startHost(name, lease: 2) }
        var held: [String: String] = [:]
        let allBusy = try await eventually(timeout: 60) {
            held = try Dictionary(queue.rows(batch: batch).filter { $0.state == .claimed }.compactMap { row in
                row.claimedBy.map { ($0, row.task) } }) { first, _ in first }
            return Set(held.keys) == Set(names) && names.allSatisfy { FileManager.default.fileExists(atPath: scratch.appending("started/\($0)")) }
        }
        guard allBusy, let killedTask = held[names[0]], let stoppedTask = held[names[1]],
              let killed = hosts[names[0]], let stopped = hosts[names[1]] else { return nil }
        killed.signal(SIGKILL)
        guard await exitStatus(of: killed, timeout: 30) != nil else { return nil }
        stopped.signal(SIGSTOP)
        openGate()
        return (killedTask, stoppedTask)
    }

    /// The remote's branches of `batch`.
    func remoteBranches(batch: String) throws -> Set<String> {
        Set(try source.git(["--git-dir", remote, "for-each-ref", "--format=%(refname:short)", "refs/heads/conductor/\(batch)/"])
            .split(separator: "\n").map(String.init))
    }
}

