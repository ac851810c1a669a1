@testable import Conductor
import Foundation
import Synchronization
import Testing
import TestSupport

/// How child processes are waited for, signalled and stopped: no thread per child, no signal to
/// a reaped child, a worker pool stopped once.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ProcessLifecycleTests {
    /// More children than libdispatch has threads: each is ended and waited for (with one thread
    /// per waiting child, the threads that would end them never ran and this hung).
    @Test func threeHundredChildrenAreEndedAndWaitedFor() throws {
        let directory = TemporaryDirectory()
        let children = try (0..<300).map { _ in
            try ChildProcess(arguments: ["/bin/sleep", "300"], directory: directory.path, environment: [:],
                             stdoutPath: "/dev/null", stderrPath: "/dev/null")
        }
        defer { children.forEach { kill(-$0.pid, SIGKILL) } }
        let waited = DispatchSemaphore(value: 0)
        let exits = Exits()
        DispatchQueue(label: "test.waiter").async {
            children.forEach { $0.terminate(grace: 5) }
            for child in children { exits.append(child.wait()) }
            waited.signal()
        }
        #expect(waited.wait(timeout: .now() + 120) == .success, "every child ended and was waited for")
        #expect(exits.count == 300)
        #expect(exits.all { $0.cancelled && $0.signal == SIGTERM })
    }

    /// Every signal reaches a group whose leader is not yet reaped, however often the child is
    /// waited for or terminated: after the reap, its pid (and group id) may belong to a stranger.
    @Test func signalsReachOnlyAnUnreapedChild() throws {
        let directory = TemporaryDirectory()
        let child = try ChildProcess(arguments: ["/bin/sh", "-c", "exit 3"], directory: directory.path, environment: [:],
                                     stdoutPath: "/dev/null", stderrPath: "/dev/null")
        let first = child.wait()
        child.terminate(grace: 0.1)
        child.signal(SIGTERM)
        let second = child.wait(timeout: 1, grace: 0.1)
        #expect(first == ChildProcess.Exit(status: 3))
        #expect(second.status == 3)
        #expect(!child.sentSignals.isEmpty, "the group is swept once when the leader is waited for")
        #expect(child.sentSignals.allSatisfy { $0.result == 0 }, "\(child.sentSignals)")
    }

    /// A worker pool is stopped once, however many callers (shutdown, interrupt, deinit) ask, at once.
    @Test func startedWorkersAreStoppedOnceFromAnyThread() throws {
        let fixture = try QueueFixture()
        let orchestrator = try Orchestrator(
            workers: 3, queue: fixture.root,
            launch: WorkerLaunch(directory: fixture.workDirectory, executable: Binaries.conductor,
                                 environment: ProcessInfo.processInfo.environment.merging(fixture.environment) { $1 }))
        let workers = try #require(orchestrator.workerPool).processes.values.map { $0 }
        #expect(workers.count == 3)
        DispatchQueue.concurrentPerform(iterations: 6) { index in
            if index % 2 == 0 { orchestrator.shutdown() } else { orchestrator.stopWorkers() }
        }
        orchestrator.shutdown()
        for worker in workers {
            #expect(!processIsAlive(worker.pid))
            #expect(worker.sentSignals.allSatisfy { $0.result == 0 }, "\(worker.sentSignals)")
        }
    }
}

/// Exits collected from another thread.
private final class Exits: Sendable {
    private let values = Mutex<[ChildProcess.Exit]>([])

    func append(_ exit: ChildProcess.Exit) { values.withLock { $0.append(exit) } }
    var count: Int { values.withLock { $0.count } }
    func all(_ predicate: (ChildProcess.Exit) -> Bool) -> Bool { values.withLock { $0.allSatisfy(predicate) } }
}
