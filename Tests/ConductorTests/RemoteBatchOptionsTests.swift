import Conductor
import Foundation
import Postgres
import PostgresQueue
import Testing
import TestSupport

/// A batch on a PostgreSQL queue honours the options a local batch does: `--timeout` reaches
/// tasks without their own, `--retries` bounds how often a task's lease may run out,
/// `--stop-on-error` (and a task's `stopOnError`) skips what has not started, and `--resume`
/// runs the failed and skipped tasks again; `--joblog` is refused.
@Suite(.serialized, .timeLimit(.minutes(6)), .disabled(if: PostgresServer.unavailable != nil, "\(PostgresServer.unavailable ?? "")"))
struct RemoteBatchOptionsTests {
    /// Each task's result status and error in `results.jsonl`, by task id.
    private func outcomes(_ fixture: RemoteWorkerFixture, batch: String) throws -> [String: (status: String?, error: String?)] {
        Dictionary(uniqueKeysWithValues: try fixture.results(batch: batch).map { line in
            let result = line["result"] as? [String: Any]
            return ((line["task"] as? [String: Any])?["id"] as? String ?? "?", (result?["status"] as? String, result?["error"] as? String))
        })
    }

    @Test func theBatchTimeoutReachesTasksWithoutTheirOwn() async throws {
        let fixture = try await RemoteWorkerFixture.make()
        let tasks = try fixture.remoteTasksFile(tasks: [["id": "slow", "command": "sleep 60"],
                                                        ["id": "own", "command": "true", "timeout": 500]])
        let coordinator = try fixture.startCoordinator("bt", tasksFile: tasks, workers: 1, extra: ["--timeout", "1"])
        #expect(await fixture.exitStatus(of: coordinator, timeout: 120) == 1, "\(coordinator.output)")
        let outcomes = try outcomes(fixture, batch: "bt")
        #expect(outcomes["slow"]?.status == "timeout", "\(coordinator.output)")
        #expect(outcomes["own"]?.status == "done")
        let timeouts = try PostgresConnection(url: fixture.serverURL).execute(
            "SELECT id, spec->'task'->>'timeout' FROM conductor.tasks WHERE batch = 'bt' ORDER BY id")
        #expect(timeouts == [["own", "500"], ["slow", "1"]], "stored in what is submitted, for a worker on any host")
    }

    @Test func aTaskWhoseLeaseRanOutMoreThanRetriesTimesFailsInsteadOfGoingBack() async throws {
        let fixture = try await RemoteWorkerFixture.make()
        let started = fixture.scratch.appending("started")
        let tasks = try fixture.remoteTasksFile(tasks: [["id": "deadly", "command": "touch '\(started)'; \(fixture.waitForGate)"]])
        let coordinator = try fixture.startCoordinator("br", tasksFile: tasks, workers: 0, extra: ["--retries", "0"])
        defer { coordinator.stop(grace: 5) }
        let host = try fixture.startHost("hostA-0", lease: 2)
        #expect(await eventually(timeout: 60) { FileManager.default.fileExists(atPath: started) }, "\(host.output)")
        host.signal(SIGKILL)
        // With no worker left, the coordinator finds the lease run out, once more than --retries 0.
        #expect(await fixture.exitStatus(of: coordinator, timeout: 60) == 1, "\(coordinator.output)")
        let outcome = try outcomes(fixture, batch: "br")["deadly"]
        #expect(outcome?.status == "error")
        #expect(outcome?.error?.contains("lease ran out 1 time(s)") == true, "\(String(describing: outcome))")
        let events = try fixture.queue.journal(batch: "br").map(\.event)
        #expect(events == ["submit", "claim", "expired", "failed"], "\(events)")
    }

    @Test func stopOnErrorSkipsWhatHasNotStartedAndResumeRunsTheFailedAndSkippedAgain() async throws {
        let fixture = try await RemoteWorkerFixture.make()
        let fixed = fixture.scratch.appending("fixed")
        let tasks = try fixture.remoteTasksFile(tasks: [
            ["id": "ok", "command": "echo ok > ok.txt"],
            ["id": "bad", "command": "test -e '\(fixed)' && echo bad > bad.txt"],
            ["id": "later1", "command": "echo 1 > later1.txt"],
            ["id": "later2", "command": "echo 2 > later2.txt"],
        ])
        let first = try fixture.startCoordinator("bs", tasksFile: tasks, workers: 1, extra: ["--stop-on-error"])
        #expect(await fixture.exitStatus(of: first, timeout: 120) == 1, "\(first.output)")
        var outcomes = try outcomes(fixture, batch: "bs")
        #expect(outcomes.mapValues(\.status) == ["ok": "done", "bad": "error", "later1": "skipped", "later2": "skipped"], "\(first.output)")
        #expect(outcomes["later1"]?.error?.contains("task bad failed") == true, "\(String(describing: outcomes["later1"]))")
        let status = try await offThePool { try run([Binaries.conductor, "status", "-n", "bs", "-d", fixture.store, "--queue", fixture.url],
                                                    environment: fixture.coordinatorEnvironment) }
        #expect(status.stdout.contains("2 skipped"), "\(status.stdout)")

        FileManager.default.createFile(atPath: fixed, contents: nil)
        let resumed = try BackgroundProcess([Binaries.conductor, "batch", "--resume", "-n", "bs", "-d", fixture.store, "-w", "1", "--queue", fixture.url],
                                            directory: fixture.source.path, environment: fixture.coordinatorEnvironment)
        #expect(await fixture.exitStatus(of: resumed, timeout: 120) == 0, "\(resumed.output)")
        let progress = resumed.output.split(separator: "\n").filter { $0.hasPrefix("error ") || $0.hasPrefix("skipped ") || $0.hasPrefix("done ") }
        #expect(progress.count == 4, "each task finishes once in the resumed run's progress, not also as it ended before: \(resumed.output)")
        outcomes = try self.outcomes(fixture, batch: "bs")
        #expect(outcomes.values.allSatisfy { $0.status == "done" }, "\(outcomes)")
        let journal = try fixture.queue.journal(batch: "bs")
        #expect(journal.filter { $0.event == "requeued" }.map(\.task) == ["bad", "later1", "later2"])
        #expect(journal.filter { $0.task == "ok" }.map(\.event) == ["submit", "claim", "done"], "a done task is not run again")
        #expect(try fixture.queue.rows(batch: "bs").map(\.attempts) == [1, 2, 1, 1], "attempts are kept")
        #expect(try fixture.remoteCommitCounts(batch: "bs") == ["ok": 1, "bad": 1, "later1": 1, "later2": 1])
    }

    @Test func aTasksOwnStopOnErrorStopsTheBatch() async throws {
        let fixture = try await RemoteWorkerFixture.make()
        let tasks = try fixture.remoteTasksFile(tasks: [["id": "bad", "command": "exit 3", "stopOnError": true],
                                                        ["id": "later", "command": "true"]])
        let coordinator = try fixture.startCoordinator("bo", tasksFile: tasks, workers: 1)
        #expect(await fixture.exitStatus(of: coordinator, timeout: 120) == 1, "\(coordinator.output)")
        #expect(try outcomes(fixture, batch: "bo").mapValues(\.status) == ["bad": "error", "later": "skipped"], "\(coordinator.output)")
    }

    @Test(arguments: [(["--joblog", "/tmp/x.log"], "--joblog is for a local batch"),
                      (["--backoff", "3"], "--backoff and --heartbeat-timeout are for a local batch"),
                      (["--heartbeat-timeout", "30"], "--backoff and --heartbeat-timeout are for a local batch")])
    func anOptionOnlyALocalBatchUsesIsRefusedWithTheReason(option: [String], reason: String) async throws {
        let fixture = try await RemoteWorkerFixture.make()
        let tasks = try fixture.remoteTasksFile(["t1"], command: "true")
        let refused = try await offThePool {
            try run([Binaries.conductor, "batch", "--worktrees", "--queue", fixture.url, "-d", fixture.store] + option + [tasks],
                    environment: fixture.coordinatorEnvironment)
        }
        #expect(refused.status == 2)
        #expect(refused.stderr.contains(reason), "\(refused.stderr)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: fixture.store)) ?? []).isEmpty, "a batch was recorded")
    }
}
