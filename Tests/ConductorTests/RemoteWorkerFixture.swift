import Conductor
import Foundation
import Postgres
import PostgresQueue
import Queue
import Testing
import TestSupport

/// Hosts sharing only a queue and a bare remote repository: each host is a
/// `conductor worker NAME DIR --queue ADDRESS` process with a directory and a HOME of its own.
/// The queue is a PostgreSQL server the fixture starts, or a directory (`file:///…`).
final class RemoteWorkerFixture: @unchecked Sendable {
    /// Which `TaskQueue` the hosts share.
    enum QueueKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case postgres, directory
        var testDescription: String { rawValue }
    }

    /// Released (so stopped) by `close()`; nil for a directory queue.
    private var server: PostgresServer?
    /// The server's URL without a password, for the test's own connections, and its port ("" and
    /// 0 for a directory queue).
    let serverURL: String
    let serverPort: Int
    let source: GitFixture
    let scratch = TemporaryDirectory("conductor-remote")
    /// The bare repository every host fetches from and pushes to.
    let remote: String
    let base: String
    /// The queue's address: for PostgreSQL, a URL with a password the server never asks for
    /// (trust on loopback), which must never show in logs or results.
    let url: String
    /// The address as conductor shows it (without the password).
    var shownURL: String { url.replacingOccurrences(of: password, with: "***") }
    let password = "hunter2-\(UInt32.random(in: 0...UInt32.max))"
    let queue: any TaskQueue
    private(set) var hosts: [String: BackgroundProcess] = [:]

    /// Starting a server and a repository blocks for seconds: that is done on a thread of its
    /// own, not on one of the test pool's few threads, which every other test needs too.
    static func make(_ kind: QueueKind = .postgres) async throws -> RemoteWorkerFixture {
        try await offThePool { try RemoteWorkerFixture(kind) }
    }

    private init(_ kind: QueueKind) throws {
        source = try GitFixture()
        remote = scratch.appending("remote.git")
        try source.git(["clone", "-q", "--bare", source.path, remote])
        base = try source.revParse("HEAD")
        switch kind {
        case .postgres:
            let server = try PostgresServer()
            self.server = server
            serverURL = server.url
            serverPort = Int(server.port)
            url = "postgres://postgres:\(password)@127.0.0.1:\(server.port)/postgres"
            queue = try PostgresTaskQueue(connection: PostgresConnection(url: server.url))
        case .directory:
            (serverURL, serverPort) = ("", 0)
            url = "file://" + scratch.appending("shared queue")
            queue = try DirectoryTaskQueue(directory: scratch.appending("shared queue"))
        }
    }

    deinit {
        openGate()
        hosts.values.forEach { $0.stop(grace: 10) }
    }

    /// A shell fragment that waits until the test opens the gate (or its directory is gone):
    /// tasks that must be running at a given moment wait on it, instead of sleeping.
    var waitForGate: String {
        "while [ ! -e '\(scratch.appending("gate"))' ] && [ -d '\(scratch.path)' ]; do sleep 0.05; done"
    }

    /// Lets every task waiting on the gate go on (also when the fixture goes away, so that no
    /// task, a killed host's orphan among them, outlives the test).
    func openGate() {
        _ = FileManager.default.createFile(atPath: scratch.appending("gate"), contents: nil)
    }

    /// Submits command tasks `ids` of `batch`, each running `command`.
    func submit(batch: String, _ ids: [String], command: String) throws {
        try RemoteTask.submit(ids.map { TaskSpec.command(command, id: $0) }, batch: batch, remote: remote, base: base, to: queue)
    }

    /// Starts host `name`: its own directory and HOME (and `environment` added to the few
    /// variables it gets).
    @discardableResult
    func startHost(_ name: String, lease: Double = 30, extraArguments: [String] = [], environment: [String: String] = [:]) throws -> BackgroundProcess {
        let root = scratch.appending("hosts/\(name)")
        try FileManager.default.createDirectory(atPath: root + "/home", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/work", withIntermediateDirectories: true)
        let host = try BackgroundProcess(
            [Binaries.conductor, "worker", name, root + "/work", "--queue", url, "--lease", String(lease)] + extraArguments,
            environment: ["HOME": root + "/home", "CONDUCTOR_DIR": root + "/conductor-work", "CONDUCTOR_HOME": root + "/queue",
                          "GIT_CONFIG_NOSYSTEM": "1"].merging(environment) { $1 })
        hosts[name] = host
        return host
    }

    /// Pushes, as worker `worker` would have, a commit of task `task` of `batch` (writing
    /// `<task>.txt`) on branch `conductor/<batch>/<worker>` of the remote; its sha.
    func pushTaskCommit(batch: String, task: String, worker: String, content: String = "first\n") throws -> String {
        let clone = scratch.appending("clone-of-\(worker)")
        try source.git(["clone", "-q", remote, clone])
        try source.git(["switch", "-q", "-c", "conductor/\(batch)/\(worker)"], in: clone)
        try source.write("\(task).txt", content, root: clone)
        try source.git(["add", "-A"], in: clone)
        try source.git(["commit", "-q", "-m", "\(task): by \(worker)", "-m", "Conductor-Batch: \(batch)\nConductor-Task: \(task)\nConductor-Worker: \(worker)"], in: clone)
        try source.git(["push", "-q", "origin", "conductor/\(batch)/\(worker)"], in: clone)
        return try source.revParse("HEAD", in: clone)
    }

    /// Host `host-1` running task t1 of batch b1, which waits on the gate, and the pid of the
    /// task's shell.
    func hostRunningAWaitingTask() async throws -> (host: BackgroundProcess, taskPid: Int32) {
        let pidFile = scratch.appending("task.pid")
        try submit(batch: "b1", ["t1"], command: "echo $$ > '\(pidFile)'; \(waitForGate)")
        let host = try startHost("host-1")
        let written = await eventually(timeout: 60) { ((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "").hasSuffix("\n") }
        guard written, let pid = Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw FixtureError("t1 did not start: \(host.output)")
        }
        return (host, pid)
    }

    /// Host `host-1` once it has pushed task t1 of batch b1 (so its branch is on the remote) and
    /// is running t2, which waits on the gate and then writes t2.txt.
    func hostRunningItsSecondTask() async throws -> BackgroundProcess {
        let started = scratch.appending("started")
        try submit(batch: "b1", ["t1"], command: "echo one > t1.txt")
        let host = try startHost("host-1")
        guard try await eventually(timeout: 60, { try finished(batch: "b1") }) else { throw FixtureError("t1 did not finish: \(host.output)") }
        try submit(batch: "b1", ["t2"], command: "touch '\(started)'; \(waitForGate); echo two > t2.txt")
        guard await eventually(timeout: 60, { FileManager.default.fileExists(atPath: started) }) else {
            throw FixtureError("t2 did not start: \(host.output)")
        }
        return host
    }

    /// Serves the remote with `git daemon` on a free loopback port, pushes allowed (git's
    /// `receive-pack`, as over ssh and https: a branch moves only from the tip the pusher saw, and
    /// the remote's hooks run); the daemon and the remote's git:// URL, once it answers.
    func serveRemoteOverGitDaemon() async throws -> (process: BackgroundProcess, url: String) {
        let path = remote
        let port = try PostgresServer.freePort()
        let parent = (path as NSString).deletingLastPathComponent
        // git-daemon itself, not the `git` command that would run it as a child and leave it behind when stopped.
        let daemonProgram = try run(["git", "--exec-path"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines) + "/git-daemon"
        let daemon = try BackgroundProcess([daemonProgram, "--reuseaddr", "--listen=127.0.0.1", "--port=\(port)", "--export-all",
                                            "--enable=receive-pack", "--base-path=\(parent)", parent])
        let url = "git://127.0.0.1:\(port)/\((path as NSString).lastPathComponent)"
        let answers = try await offThePool {
            waitUntil { ((try? run(["git", "ls-remote", url], timeout: 10))?.status ?? 1) == 0 }
        }
        guard answers else { throw FixtureError("git daemon did not serve \(path): \(daemon.output)") }
        return (daemon, url)
    }

    /// Ends every host and the server (off the test pool); the hosts' exit statuses by name.
    func close() async throws -> [String: Int32] {
        let statuses = await stopHosts()
        try await offThePool { self.server = nil }
        return statuses
    }

    /// Ends every host (SIGTERM, then SIGKILL after 20 s) and returns their exit statuses by name.
    func stopHosts() async -> [String: Int32] {
        for host in hosts.values {
            host.signal(SIGCONT)
            host.signal(SIGTERM)
        }
        _ = await eventually(timeout: 20) { hosts.values.allSatisfy { !$0.process.isRunning } }
        return hosts.mapValues { host in
            host.stop(grace: 0)
            return host.process.terminationStatus
        }
    }

    /// `host`'s exit status once it exits, or nil after `timeout` seconds.
    func exitStatus(of host: BackgroundProcess, timeout: TimeInterval = 60) async -> Int32? {
        await eventually(timeout: timeout) { !host.process.isRunning } ? host.process.terminationStatus : nil
    }

    /// How many commits on the remote's `conductor/<batch>/*` branches carry each task id as
    /// their `Conductor-Task` trailer.
    func remoteCommitCounts(batch: String) throws -> [String: Int] {
        let log = try source.git(["--git-dir", remote, "log", "--branches=conductor/\(batch)/*",
                                  "--format=%(trailers:key=Conductor-Task,valueonly,separator=%x2C)"])
        return log.split(separator: "\n").map { String($0) }.filter { !$0.isEmpty }.reduce(into: [:]) { $0[$1, default: 0] += 1 }
    }

    /// True once every task of `batch` is done or failed.
    func finished(batch: String) throws -> Bool {
        try queue.rows(batch: batch).allSatisfy { $0.state == .done || $0.state == .failed }
    }
}

/// Polls `condition` until it holds or `timeout` seconds pass, sleeping between looks without
/// holding one of the test pool's few threads (these tests wait on other processes for seconds);
/// returns whether it held. A wait for a condition, never a timing assert.
func eventually(timeout: TimeInterval = 60, _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try condition()
}

