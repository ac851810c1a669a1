import Conductor
import Foundation
import Testing
import TestSupport
import Queue

/// A batch supervises the workers it started: a dead one is replaced, a silent one is ended
/// together with its task before the task runs again, and a worker that dies at once every time
/// ends the run with a clear error.
@Suite(.serialized, .timeLimit(.minutes(5))) struct SupervisionTests {
    private func journal(_ fixture: BatchFixture, _ name: String) -> String { "\(fixture.store)/\(name)/journal.jsonl" }

    @Test func aWorkerKilledMidTaskIsReplacedAndTheTaskRunsAgain() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let attempts = fixture.directory.appending("attempts")
        let file = try fixture.tasksFile("""
        [{"id": "long", "command": "echo $CONDUCTOR_ATTEMPT >> \(attempts); [ $CONDUCTOR_ATTEMPT -gt 1 ] || sleep 30; echo long > long.txt"},
         {"id": "after", "command": "echo after > after.txt"}]
        """)
        let batch = try BackgroundProcess(
            [Binaries.conductor, "batch", "--worktrees", "-w", "1", "-d", fixture.store, "--name", "s1", file],
            directory: app, environment: fixture.environment)
        let slot = QueueRoot(path: "\(fixture.store)/s1/queue").slot(0)
        #expect(waitUntil { (try? slot.readStatus()).map { $0.status == .working && $0.taskId == "long" } ?? false })
        let victim = try #require(slot.liveOwner())
        kill(victim.pid, SIGKILL)
        #expect(batch.waitForExit(timeout: 120) == 0, "\(batch.output.suffix(2000))")
        let final = try BatchRun.finalResults(journal: journal(fixture, "s1"))
        #expect(final["long"]?.result.status == .done)
        #expect(final["long"]?.result.attempts == 2)
        #expect(final["after"]?.result.status == .done)
        #expect(try String(contentsOfFile: attempts, encoding: .utf8) == "1\n2\n")
    }

    @Test func aStoppedWorkersTaskIsEndedBeforeItRunsAgain() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let runs = fixture.directory.appending("runs")
        let file = try fixture.tasksFile("""
        [{"id": "slow", "command": "echo $$ > \(runs)-pid-$CONDUCTOR_ATTEMPT; sleep 6; echo end-$CONDUCTOR_ATTEMPT >> \(runs); echo slow > slow.txt"}]
        """)
        let batch = try BackgroundProcess(
            [Binaries.conductor, "batch", "--worktrees", "-w", "2", "-d", fixture.store, "--name", "h1", "--heartbeat-timeout", "3", file],
            directory: app, environment: fixture.environment)
        let queue = QueueRoot(path: "\(fixture.store)/h1/queue")
        let firstPidFile = "\(runs)-pid-1"
        #expect(waitUntil { ((try? String(contentsOfFile: firstPidFile, encoding: .utf8)) ?? "").hasSuffix("\n") })
        let firstTask = try #require(Int32(try String(contentsOfFile: firstPidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        var found: WorkerSlot?
        #expect(waitUntil {
            found = queue.existingSlots().first { (try? $0.readStatus())?.taskPid == firstTask }
            return found != nil
        })
        let busy = try #require(found)
        let victim = try #require(busy.liveOwner())
        kill(victim.pid, SIGSTOP)
        defer { kill(victim.pid, SIGCONT) }
        #expect(batch.waitForExit(timeout: 120) == 0, "\(batch.output.suffix(2000))")
        kill(victim.pid, SIGCONT)
        #expect(waitUntil { !processIsAlive(firstTask) })
        #expect(waitUntil { !processIsAlive(victim.pid) }, "the silent worker was ended, not left to report the abandoned attempt")
        let final = try BatchRun.finalResults(journal: journal(fixture, "h1"))
        #expect(final["slow"]?.result.status == .done)
        #expect(final["slow"]?.result.attempts == 2)
        #expect(final["slow"]?.worker != busy.id)
        #expect(try String(contentsOfFile: runs, encoding: .utf8) == "end-2\n", "the first attempt never finished")
        let victimBranch = try fixture.git(app, ["log", "--format=%(trailers:key=Conductor-Task,valueonly)", "main..conductor/h1/w\(busy.id)"])
        #expect(!victimBranch.contains("slow"), "the abandoned attempt committed nothing")
    }

    @Test func aTaskRerunAfterItsWorkerWasKilledCountsEveryAttempt() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let attempts = fixture.directory.appending("attempts")
        let file = try fixture.tasksFile("""
        [{"id": "long", "command": "echo $CONDUCTOR_ATTEMPT >> \(attempts); [ $(wc -l < \(attempts)) -gt 1 ] || sleep 30"}]
        """)
        let batch = try BackgroundProcess(
            [Binaries.conductor, "batch", "--worktrees", "-w", "1", "-d", fixture.store, "--name", "r1", file],
            directory: app, environment: fixture.environment)
        let slot = QueueRoot(path: "\(fixture.store)/r1/queue").slot(0)
        #expect(waitUntil { (try? slot.readStatus()).map { $0.status == .working && $0.taskId == "long" } ?? false })
        let worker = try #require(slot.liveOwner())
        kill(batch.pid, SIGKILL)
        kill(worker.pid, SIGKILL)
        _ = batch.waitForExit()
        let resumed = try fixture.conductor(["batch", "--resume", "--name", "r1", "-d", fixture.store], in: app)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let final = try BatchRun.finalResults(journal: journal(fixture, "r1"))
        #expect(final["long"]?.result.status == .done)
        #expect(final["long"]?.result.attempts == 2)
        #expect(try String(contentsOfFile: attempts, encoding: .utf8) == "1\n2\n")
    }

    /// A worker that dies at once every time it is restarted ends the run with an error naming it.
    @Test func aWorkerThatKeepsDyingEndsTheRunWithAClearError() throws {
        let fixture = try QueueFixture()
        let marker = fixture.directory.appending("started-once")
        let wrapper = fixture.directory.appending("crashing-conductor")
        try writeExecutable("""
        #!/bin/sh
        if [ -e '\(marker)' ]; then echo 'crashing at start' >&2; exit 1; fi
        touch '\(marker)'
        exec '\(Binaries.conductor)' "$@"
        """, to: wrapper)
        var options = OrchestratorOptions()
        options.noWorkerTimeout = 2
        let orchestrator = try Orchestrator(
            workers: 1, queue: fixture.root, options: options,
            launch: WorkerLaunch(directory: fixture.workDirectory, executable: wrapper,
                                 environment: ProcessInfo.processInfo.environment.merging(fixture.environment) { $1 }))
        defer { orchestrator.shutdown() }
        let slot = fixture.root.slot(0)
        let victim = try #require(slot.liveOwner())
        DispatchQueue.global().async {
            _ = waitUntil { (try? slot.readStatus())?.status == .working }
            kill(victim.pid, SIGKILL)
        }
        let error = #expect(throws: (any Error).self) {
            try orchestrator.executeTasks([.command("echo $$ > task-pid; sleep 30", id: "stuck")])
        }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("worker 0"), "\(text)")
        #expect(text.contains("crashing at start"), "the worker's own last words are shown: \(text)")
        let task = try #require(Int32(try String(contentsOfFile: fixture.workDirectory + "/task-pid", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(waitUntil { !processIsAlive(task) }, "the dead worker's task was ended")
    }
}
