import Conductor
import Foundation
import Testing
import TestSupport
import Queue

@Suite(.serialized, .timeLimit(.minutes(3))) struct WorkerProcessTests {
    @Test func aSecondWorkerOnALiveSlotIsRefusedNamingThePid() throws {
        let fixture = try QueueFixture()
        let first = try fixture.startWorker(0)
        let second = try fixture.conductor(["worker", "0", fixture.workDirectory, "--queue", fixture.root.path])
        #expect(second.status == 3)
        #expect(second.stderr.contains("owned by a live worker (pid \(first.pid))"))
    }

    @Test func eightWorkersRacingForOneSlotLeaveExactlyOneOwner() throws {
        let fixture = try QueueFixture()
        try fixture.root.create()
        try fixture.root.slot(0).create()
        // A stale lock from a dead worker makes this the takeover race, not just the mkdir race.
        try FileManager.default.createDirectory(atPath: fixture.root.slot(0).lockDirectory, withIntermediateDirectories: false)
        try "999999\n".write(toFile: fixture.root.slot(0).lockDirectory + "/pid", atomically: false, encoding: .utf8)
        let contenders = try (0..<8).map { _ in
            try BackgroundProcess([Binaries.conductor, "worker", "0", fixture.workDirectory, "--queue", fixture.root.path], environment: fixture.environment)
        }
        #expect(waitUntil { contenders.filter { $0.process.isRunning }.count <= 1 && contenders.contains { $0.output.contains("serving") } })
        usleep(300_000)
        let survivors = contenders.filter { $0.process.isRunning }
        #expect(survivors.count == 1)
        #expect(contenders.filter { $0.output.contains("took over the stale lock") }.count == 1)
        if let owner = survivors.first {
            #expect(SlotLock.probe(fixture.root.slot(0)) == .held(SlotLock.Owner(pid: owner.pid, startTime: ProcessInfo.startTime(of: owner.pid))))
        }
        for loser in contenders where !loser.process.isRunning {
            #expect(loser.process.terminationStatus == 3)
            #expect(loser.output.contains("owned by a live worker") || loser.output.contains("being claimed"))
        }
        contenders.forEach { $0.stop() }
    }

    @Test func aMalformedTaskGetsAnErrorResultAndTheWorkerKeepsServing() throws {
        let fixture = try QueueFixture()
        let worker = try fixture.startWorker(0)
        let slot = fixture.root.slot(0)
        try AtomicFile.write(Data(#"{"id": "broken", "seq": 5, "attempt": "one"}"#.utf8), to: slot.taskFile)
        #expect(waitUntil { (try? slot.readResult())?.seq == 5 })
        let result = try #require(try slot.readResult())
        #expect(result.status == .error)
        #expect(result.taskId == "broken")
        #expect(result.error?.contains("\"attempt\"") == true)
        try slot.write(TaskAssignment(id: "good", seq: 6, command: "echo fine", workerPid: worker.pid))
        #expect(waitUntil { (try? slot.readResult())?.seq == 6 })
        #expect(try slot.readResult()?.output == "fine\n", "\(String(describing: try? slot.readResult()))")
        #expect(try slot.readResult()?.status == .done, "\(String(data: (try? AtomicFile.read(slot.resultFile)) ?? Data(), encoding: .utf8) ?? "")")
    }

    @Test func aTaskForAnotherProcessOrAnOldSeqIsNotRun() throws {
        let fixture = try QueueFixture()
        let worker = try fixture.startWorker(0)
        let slot = fixture.root.slot(0)
        try slot.write(TaskAssignment(id: "foreign", seq: 1, command: "touch foreign", workerPid: worker.pid + 100_000))
        try slot.write(TaskAssignment(id: "mine", seq: 2, command: "touch mine", workerPid: worker.pid))
        #expect(waitUntil { (try? slot.readResult())?.seq == 2 })
        try slot.write(TaskAssignment(id: "old", seq: 2, command: "touch old", workerPid: worker.pid))
        usleep(300_000)
        #expect(FileManager.default.fileExists(atPath: fixture.workDirectory + "/mine"))
        #expect(!FileManager.default.fileExists(atPath: fixture.workDirectory + "/foreign"))
        #expect(!FileManager.default.fileExists(atPath: fixture.workDirectory + "/old"))
    }

    @Test func sigtermCancelsTheTaskKillsItsGrandchildrenAndReleasesTheSlot() throws {
        let fixture = try QueueFixture()
        let worker = try fixture.startWorker(0)
        let slot = fixture.root.slot(0)
        try slot.write(TaskAssignment(id: "hang", seq: 1, prompt: "[[hang]]", workerPid: worker.pid))
        var grandchild: Int32?
        #expect(waitUntil {
            let logs = (try? String(contentsOfFile: slot.logsDirectory + "/1-hang.stderr", encoding: .utf8)) ?? ""
            grandchild = logs.split(separator: "\n").first { $0.hasPrefix("child-pid: ") }.flatMap { Int32($0.dropFirst("child-pid: ".count)) }
            return grandchild != nil
        })
        worker.signal(SIGTERM)
        #expect(worker.waitForExit() == 0)
        let result = try #require(try slot.readResult())
        #expect(result.status == .cancelled)
        #expect(result.seq == 1)
        #expect(try slot.readStatus()?.status == .stopped)
        #expect(SlotLock.probe(slot) == .free)
        #expect(waitUntil { !processIsAlive(grandchild!) })
    }

    @Test func aTimeoutKillsATaskThatSpawnedChildren() throws {
        let fixture = try QueueFixture()
        let worker = try fixture.startWorker(0)
        let slot = fixture.root.slot(0)
        try slot.write(TaskAssignment(id: "slow", seq: 1, command: "sleep 300 & echo $! > kid; sleep 300", timeout: 0.5, workerPid: worker.pid))
        #expect(waitUntil { (try? slot.readResult())?.seq == 1 })
        let result = try #require(try slot.readResult())
        #expect(result.status == .timeout)
        let kid = try #require(Int32(try String(contentsOfFile: fixture.workDirectory + "/kid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(waitUntil { !processIsAlive(kid) })
    }

    @Test func aMissingAgentIsAnErrorResultNotACrash() throws {
        let fixture = try QueueFixture()
        let worker = try fixture.startWorker(0, extra: ["--agent-cmd", "/nonexistent/agent {prompt}"])
        let slot = fixture.root.slot(0)
        try slot.write(TaskAssignment(id: "p", seq: 1, prompt: "hello", workerPid: worker.pid))
        #expect(waitUntil { (try? slot.readResult())?.seq == 1 })
        #expect(try slot.readResult()?.error?.contains("/nonexistent/agent") == true)
        #expect(worker.process.isRunning)
    }

    @Test func statusShowsLiveWorkersAndResetStopsThem() throws {
        let fixture = try QueueFixture()
        let workers = try (0..<3).map { try fixture.startWorker($0) }
        let status = try fixture.conductor(["status", "--queue", fixture.root.path, "--json"])
        #expect(status.status == 0)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let snapshot = try decoder.decode(QueueSnapshot.self, from: Data(status.stdout.utf8))
        #expect(snapshot.workers.map(\.alive) == [true, true, true])
        #expect(snapshot.workers.map(\.pid) == workers.map(\.pid))
        #expect(snapshot.workers.map(\.status) == ["idle", "idle", "idle"])
        let reset = try fixture.conductor(["reset", "--queue", fixture.root.path])
        #expect(reset.status == 0)
        #expect(reset.stdout.contains("stopped 3 worker(s)"))
        for worker in workers { #expect(worker.waitForExit() == 0) }
        #expect(fixture.root.existingSlots().isEmpty)
    }
}
