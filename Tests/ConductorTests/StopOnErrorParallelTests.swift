import Conductor
import Foundation
import Testing
import TestSupport

/// `--stop-on-error` without `--sequential` (and a task's own `stopOnError`) halts dispatch at the
/// first failure, as GNU parallel's `--halt soon,fail=1`: running tasks finish, the rest are skipped.
@Suite(.serialized, .timeLimit(.minutes(5))) struct StopOnErrorParallelTests {
    /// Tasks for two workers: `slow` starts, then `bad` fails; `slow` waits for `gate` before it
    /// succeeds, so the failure is seen while it runs; four more wait their turn.
    private func tasks(_ directory: TemporaryDirectory, gate: String, badStops: Bool) -> String {
        let started = directory.appending("slow-started")
        let stop = badStops ? #", "stopOnError": true"# : ""
        let rest = (1...4).map { #"{"id": "later\#($0)", "command": "echo \#($0) > later\#($0).txt"}"# }
        return """
        {"tasks": [
          {"id": "slow", "command": "touch \(started); while ! test -f \(gate); do sleep 0.05; done; echo ok > slow.txt"},
          {"id": "bad", "command": "while ! test -f \(started); do sleep 0.05; done; echo 'it broke' >&2; exit 1"\(stop)},
          \(rest.joined(separator: ",\n  "))
        ]}
        """
    }

    private func expectHalted(_ results: [TaskResult], output: String) {
        let byID = Dictionary(uniqueKeysWithValues: results.map { ($0.task.id, $0.result) })
        #expect(byID["bad"]?.status == .error, "\(output)")
        #expect(byID["slow"]?.status == .done, "a running task finishes: \(output)")
        for id in (1...4).map({ "later\($0)" }) {
            #expect(byID[id]?.status == .skipped, "\(id): \(output)")
            #expect(byID[id]?.error?.contains("task bad failed") == true, "\(String(describing: byID[id]?.error))")
        }
    }

    @Test func batchStopOnErrorInParallelSkipsWhatHasNotStarted() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let gate = fixture.directory.appending("gate")
        let file = try fixture.tasksFile(tasks(fixture.directory, gate: gate, badStops: false))
        let batch = try BackgroundProcess(
            [Binaries.conductor, "batch", "--worktrees", "-w", "2", "--stop-on-error", "-d", fixture.store, "--name", "h1", file],
            directory: app, environment: fixture.environment)
        let journal = "\(fixture.store)/h1/journal.jsonl"
        #expect(waitUntil { (try? BatchRun.finalResults(journal: journal))?["bad"] != nil }, "\(batch.output)")
        try "go".write(toFile: gate, atomically: true, encoding: .utf8)
        #expect(batch.waitForExit() == 1, "\(batch.output)")
        expectHalted(try MergeReport.readResults("\(fixture.store)/h1/results.jsonl"), output: batch.output)

        let help = try fixture.conductor(["batch", "--help"])
        #expect(help.stdout.contains("without --sequential"), "\(help.stdout)")
    }

    @Test func orchestratorHonoursATasksOwnStopOnErrorInParallel() throws {
        let fixture = try QueueFixture()
        try fixture.startWorker(0)
        try fixture.startWorker(1)
        let gate = fixture.directory.appending("gate")
        let file = try fixture.tasksFile(tasks(fixture.directory, gate: gate, badStops: true))
        let journal = fixture.directory.appending("journal.jsonl")
        let run = try BackgroundProcess(
            [Binaries.conductor, "orchestrator", "2", "--json", "--journal", journal, "--queue", fixture.root.path, file],
            environment: fixture.environment)
        #expect(waitUntil { (try? String(contentsOfFile: journal, encoding: .utf8))?.contains(#""task":"bad""#) == true
            && (try? BatchRun.finalResults(journal: journal))?["bad"] != nil }, "\(run.output)")
        try "go".write(toFile: gate, atomically: true, encoding: .utf8)
        #expect(run.waitForExit() == 1, "\(run.output)")
        let json = String(run.output.drop { $0 != "{" })
        expectHalted(try QueueFixture.report(json).results, output: run.output)
    }
}
