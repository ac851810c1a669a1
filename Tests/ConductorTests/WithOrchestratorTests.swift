import Conductor
import Foundation
import Synchronization
import Testing
import TestSupport

/// `withOrchestrator` starts its workers and stops them when the body ends, also when it throws.
@Suite(.serialized, .timeLimit(.minutes(3))) struct WithOrchestratorTests {
    struct BodyFailed: Error {}

    @Test func theWorkersAreStoppedWhenTheBodyThrows() throws {
        let fixture = try QueueFixture()
        var pids: [Int32] = []
        #expect(throws: BodyFailed.self) {
            try withOrchestrator(workers: 2, queue: fixture.root, launch: Self.launch(fixture)) { orchestrator in
                pids = try Self.workerPIDs(orchestrator)
                throw BodyFailed()
            }
        }
        #expect(pids.count == 2)
        for pid in pids { #expect(!processIsAlive(pid), "worker \(pid) was stopped") }
        #expect(FileManager.default.fileExists(atPath: fixture.root.path), "a queue given is left in place")
    }

    @Test func theAsyncBodyRunsABatchAndTheWorkersAreStoppedWhenItThrows() async throws {
        let fixture = try QueueFixture()
        let report = try await withOrchestrator(workers: 2, queue: fixture.root, launch: Self.launch(fixture)) { orchestrator in
            try await orchestrator.run([.command("echo a", id: "a"), .command("echo b", id: "b")])
        }
        #expect(report.results.map(\.result.output) == ["a\n", "b\n"])
        let pids = Pids()
        await #expect(throws: BodyFailed.self) {
            try await withOrchestrator(workers: 2, queue: fixture.root, launch: Self.launch(fixture)) { orchestrator in
                pids.set(try Self.workerPIDs(orchestrator))
                throw BodyFailed()
            }
        }
        #expect(pids.value.count == 2)
        for pid in pids.value { #expect(!processIsAlive(pid), "worker \(pid) was stopped") }
    }

    /// Without a queue, the workers get a private one in the temporary directory, removed afterwards.
    @Test func withoutAQueueAPrivateOneIsUsedAndRemoved() throws {
        let fixture = try QueueFixture()
        let queue = try withOrchestrator(workers: 1, launch: Self.launch(fixture)) { orchestrator in
            let results = try orchestrator.executeTasks([.command("echo private", id: "p")])
            #expect(results.map(\.result.output) == ["private\n"])
            return orchestrator.queue.path
        }
        #expect(queue != QueueRoot.resolve(nil).path)
        #expect(!FileManager.default.fileExists(atPath: queue))
    }

    private static func launch(_ fixture: QueueFixture) -> WorkerLaunch {
        WorkerLaunch(directory: fixture.workDirectory, executable: Binaries.conductor,
                     environment: ProcessInfo.processInfo.environment.merging(fixture.environment) { $1 })
    }

    /// The pids of the workers that own the orchestrator's slots.
    private static func workerPIDs(_ orchestrator: Orchestrator) throws -> [Int32] {
        try orchestrator.workerIDs.map { try #require(orchestrator.queue.slot($0).liveOwner()).pid }
    }
}

/// Worker pids handed out of an async body.
private final class Pids: Sendable {
    private let stored = Mutex<[Int32]>([])

    func set(_ pids: [Int32]) { stored.withLock { $0 = pids } }
    var value: [Int32] { stored.withLock { $0 } }
}
