import Conductor
import Foundation
import Synchronization
import Testing
import TestSupport

/// `cancel()` reaches the run in progress and no other: called with no run in progress it does
/// nothing, and the run after a cancelled one runs its tasks. A batch interrupted before its run
/// starts still runs nothing.
@Suite(.serialized, .timeLimit(.minutes(3))) struct CancelScopeTests {
    @Test func aCancelWithNoRunInProgressDoesNotCancelTheNextRun() throws {
        let fixture = try QueueFixture()
        try fixture.startWorker(0)
        let orchestrator = try Orchestrator(workers: 1, queue: fixture.root)
        orchestrator.cancel()
        let results = try orchestrator.executeTasks([.command("echo ran", id: "after")])
        #expect(results.map(\.result.status) == [.done])
        #expect(results.first?.result.output == "ran\n")
    }

    @Test func aRunAfterACancelledOneRunsItsTasks() throws {
        let fixture = try QueueFixture()
        try fixture.startWorker(0)
        let orchestrator = try Orchestrator(workers: 1, queue: fixture.root)
        let release = fixture.workDirectory + "/release"
        let first = Report()
        let finished = DispatchSemaphore(value: 0)
        DispatchQueue(label: "test.first-run").async {
            first.set(try? orchestrator.executeTasks([
                .command("while [ ! -e '\(release)' ]; do sleep 0.05; done", id: "running"),
                .command("touch never-ran", id: "waiting"),
            ]))
            finished.signal()
        }
        #expect(waitUntil { (try? fixture.root.slot(0).readStatus())?.status == .working })
        orchestrator.cancel()
        _ = FileManager.default.createFile(atPath: release, contents: nil)
        #expect(finished.wait(timeout: .now() + 60) == .success)
        #expect(first.value?.map(\.result.status) == [.done, .cancelled])
        let second = try orchestrator.executeTasks([.command("echo second", id: "second")])
        #expect(second.map(\.result.status) == [.done])
        #expect(!FileManager.default.fileExists(atPath: fixture.workDirectory + "/never-ran"))
    }

    /// Ctrl-C while the workers start: the orchestrator does not exist yet, the run that follows
    /// records every task `cancelled`.
    @Test func aBatchInterruptedBeforeItsRunRunsNothing() throws {
        let repository = try GitFixture()
        let scratch = TemporaryDirectory()
        let environment = ProcessInfo.processInfo.environment.merging(["HOME": scratch.path, "CONDUCTOR_WATCH": "inotify"]) { $1 }
        let json = #"{"repo": "\#(repository.path)", "tasks": [{"id": "a", "command": "touch ran-a"}, {"id": "b", "command": "touch ran-b"}]}"#
        let file = try TasksFile.parse(Data(json.utf8), path: scratch.appending("tasks.json"))
        var options = BatchPlan.Options(store: BatchStore(path: scratch.appending("store")))
        options.workers = 1
        options.environment = environment
        let plan = try BatchRun.start(file, tasksData: Data(json.utf8), options: options)
        let batch = BatchRun(plan: plan, options: OrchestratorOptions(), executable: Binaries.conductor, environment: environment)
        batch.interrupt()
        let outcome = try batch.run()
        #expect(outcome.interrupted)
        #expect(outcome.results.map(\.result.status) == [.cancelled, .cancelled])
        #expect(!FileManager.default.fileExists(atPath: repository.path + "/ran-a"))
    }
}

/// A run's results handed over from another thread.
private final class Report: Sendable {
    private let stored = Mutex<[TaskResult]?>(nil)

    func set(_ results: [TaskResult]?) { stored.withLock { $0 = results } }
    var value: [TaskResult]? { stored.withLock { $0 } }
}
