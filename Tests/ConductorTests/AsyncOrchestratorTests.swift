import Conductor
import Foundation
import Testing
import TestSupport

/// The async face of `Orchestrator`: `try await orchestrator.run(tasks)`, cancelled by cancelling
/// the Swift `Task` that awaits it.
@Suite(.serialized, .timeLimit(.minutes(3))) struct AsyncOrchestratorTests {
    @Test func anAsyncRunReturnsItsResultsInTaskOrder() async throws {
        let fixture = try QueueFixture()
        for id in 0..<2 { try fixture.startWorker(id) }
        let orchestrator = try Orchestrator(workers: 2, queue: fixture.root)
        let report = try await orchestrator.run([.command("echo one", id: "one"), .command("echo two", id: "two")])
        #expect(report.results.map(\.task.id) == ["one", "two"])
        #expect(report.results.map(\.result.output) == ["one\n", "two\n"])
        #expect(report.summary.succeeded == 2)
        let sequential = try await orchestrator.executeSequential(
            [.command("echo first >> order; exit 1", id: "first"), .command("echo second >> order", id: "second")], stopOnError: true)
        #expect(sequential.map(\.result.status) == [.error, .skipped])
        #expect(try String(contentsOfFile: fixture.workDirectory + "/order", encoding: .utf8) == "first\n")
        let parallel = try await orchestrator.executeTasks([.command("echo three", id: "three")])
        #expect(parallel.map(\.result.output) == ["three\n"])
    }

    /// Cancelling the Task is `cancel()`: the task not started is recorded `cancelled`, the running
    /// one is waited for, and the run returns its results rather than throwing.
    @Test func cancellingTheTaskCancelsTheTasksNotStartedAndWaitsForTheRunningOne() async throws {
        let fixture = try QueueFixture()
        try fixture.startWorker(0)
        let orchestrator = try Orchestrator(workers: 1, queue: fixture.root)
        let release = fixture.workDirectory + "/release"
        let run = Task {
            try await orchestrator.run([
                .command("while [ ! -e '\(release)' ]; do sleep 0.05; done; echo released", id: "running"),
                .command("touch never-ran", id: "waiting"),
            ])
        }
        #expect(waitUntil { (try? fixture.root.slot(0).readStatus())?.status == .working })
        run.cancel()
        _ = FileManager.default.createFile(atPath: release, contents: nil)
        let report = try await run.value
        #expect(report.results.map(\.result.status) == [.done, .cancelled])
        #expect(report.results.first?.result.output == "released\n")
        #expect(!FileManager.default.fileExists(atPath: fixture.workDirectory + "/never-ran"))
    }

    /// A Task cancelled before its run begins runs nothing: every task is recorded `cancelled`.
    @Test func aTaskCancelledBeforeTheRunRunsNothing() async throws {
        let fixture = try QueueFixture()
        try fixture.startWorker(0)
        let orchestrator = try Orchestrator(workers: 1, queue: fixture.root)
        let run = Task {
            try? await Task.sleep(for: .seconds(600))
            return try await orchestrator.run([.command("touch ran", id: "early")])
        }
        run.cancel()
        let report = try await run.value
        #expect(report.results.map(\.result.status) == [.cancelled])
        #expect(!FileManager.default.fileExists(atPath: fixture.workDirectory + "/ran"))
    }
}
