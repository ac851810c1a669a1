import Conductor
import Foundation
import Testing
import TestSupport
import Queue

@Suite(.serialized, .timeLimit(.minutes(5))) struct OrchestratorProcessTests {
    @Test(arguments: [DirectoryWatcher.Mode.inotify, .polling(interval: 0.02)])
    func twoHundredTasksOnFourWorkersAreEachCollectedExactlyOnce(mode: DirectoryWatcher.Mode) throws {
        let fixture = try QueueFixture(watch: mode)
        for id in 0..<4 { try fixture.startWorker(id) }
        let tasks = (0..<200).map { #"{"id": "t\#($0)", "command": "echo t\#($0) >> ran.log; echo out-t\#($0)"}"# }
        let file = try fixture.tasksFile("[\(tasks.joined(separator: ","))]")
        let journal = fixture.directory.appending("journal.jsonl")
        let run = try fixture.conductor(["orchestrator", "4", file, "--queue", fixture.root.path, "--json", "--journal", journal])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try QueueFixture.report(run.stdout)
        #expect(report.results.count == 200)
        #expect(report.summary.succeeded == 200)
        for (index, record) in report.results.enumerated() {
            #expect(record.task.id == "t\(index)")
            #expect(record.result.output == "out-t\(index)\n")
            #expect(record.result.attempts == 1)
        }
        #expect(Set(report.results.compactMap(\.worker)) == [0, 1, 2, 3])
        let ran = try String(contentsOfFile: fixture.workDirectory + "/ran.log", encoding: .utf8).split(separator: "\n")
        #expect(ran.count == 200)
        #expect(Set(ran).count == 200)
        let entries = try Journal.read(journal)
        #expect(entries.filter { $0.event == .assign }.count == 200)
        #expect(entries.filter { $0.event == .result && $0.record != nil }.count == 200)
        #expect(Set(entries.filter { $0.event == .assign }.compactMap(\.seq)).count == 200)
    }

    @Test func aKilledWorkersTaskIsRetriedOnAnotherWorkerAndTheOrphanIsEnded() throws {
        let fixture = try QueueFixture()
        let workers = try (0..<2).map { try fixture.startWorker($0) }
        let file = try fixture.tasksFile(#"[{"id": "victim", "command": "echo $CONDUCTOR_WORKER-$CONDUCTOR_ATTEMPT >> attempts; echo $$ > pid-$CONDUCTOR_ATTEMPT; sleep 3; echo finished"}]"#)
        let orchestrator = try BackgroundProcess(
            [Binaries.conductor, "orchestrator", "2", file, "--queue", fixture.root.path, "--json"], environment: fixture.environment)
        let firstPidFile = fixture.workDirectory + "/pid-1"
        #expect(waitUntil { ((try? String(contentsOfFile: firstPidFile, encoding: .utf8)) ?? "").hasSuffix("\n") })
        let firstTask = try #require(Int32(try String(contentsOfFile: firstPidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        let first = try String(contentsOfFile: fixture.workDirectory + "/attempts", encoding: .utf8)
        let victim = try #require(Int(first.prefix(1)))
        kill(workers[victim].pid, SIGKILL)
        #expect(orchestrator.waitForExit() == 0, "\(orchestrator.output)")
        let report = try QueueFixture.report(String(orchestrator.output.drop { $0 != "{" }))
        let record = try #require(report.results.first)
        #expect(record.result.status == .done)
        #expect(record.result.attempts == 2)
        #expect(record.worker == 1 - victim)
        #expect(record.result.output == "finished\n")
        #expect(try String(contentsOfFile: fixture.workDirectory + "/attempts", encoding: .utf8) == "\(victim)-1\n\(1 - victim)-2\n")
        #expect(waitUntil { !processIsAlive(firstTask) })
    }

    @Test func aStoppedWorkerIsDetectedByItsHeartbeat() throws {
        let fixture = try QueueFixture()
        let workers = try (0..<2).map { try fixture.startWorker($0) }
        let file = try fixture.tasksFile(#"[{"id": "slow", "command": "echo $CONDUCTOR_WORKER >> who; sleep 1; echo ok"}]"#)
        let orchestrator = try BackgroundProcess(
            [Binaries.conductor, "orchestrator", "2", file, "--queue", fixture.root.path, "--json", "--heartbeat-timeout", "3"],
            environment: fixture.environment)
        #expect(waitUntil { ((try? String(contentsOfFile: fixture.workDirectory + "/who", encoding: .utf8)) ?? "").hasSuffix("\n") })
        let victim = try #require(Int(try String(contentsOfFile: fixture.workDirectory + "/who", encoding: .utf8).prefix(1)))
        kill(workers[victim].pid, SIGSTOP)
        defer { kill(workers[victim].pid, SIGCONT) }
        #expect(orchestrator.waitForExit() == 0, "\(orchestrator.output)")
        let report = try QueueFixture.report(String(orchestrator.output.drop { $0 != "{" }))
        #expect(report.results.first?.result.attempts == 2)
        #expect(report.results.first?.worker == 1 - victim)
    }

    @Test func sequentialStopOnErrorSkipsTheRest() throws {
        let fixture = try QueueFixture()
        for id in 0..<3 { try fixture.startWorker(id) }
        let file = try fixture.tasksFile("""
        {"tasks": [
          {"id": "one", "command": "echo one >> order"},
          {"id": "two", "command": "echo two >> order; cat order | wc -l | grep -q 2"},
          {"id": "three", "command": "echo three >> order; exit 1", "stopOnError": true},
          {"id": "four", "command": "echo four >> order"},
          {"id": "five", "command": "echo five >> order"}
        ]}
        """)
        let run = try fixture.conductor(["orchestrator", "3", file, "--queue", fixture.root.path, "--sequential", "--json"])
        #expect(run.status == 1)
        let report = try QueueFixture.report(run.stdout)
        #expect(report.results.map(\.result.status) == [.done, .done, .error, .skipped, .skipped])
        #expect(report.summary.skipped == 2)
        #expect(try String(contentsOfFile: fixture.workDirectory + "/order", encoding: .utf8) == "one\ntwo\nthree\n")
    }

    @Test func rateLimitedPromptsAreRetriedWithBackoff() throws {
        let fixture = try QueueFixture()
        try fixture.startWorker(0)
        let file = try fixture.tasksFile(#"[{"id": "limited", "prompt": "[[rate-limit 2]] please"}, {"id": "hopeless", "prompt": "[[rate-limit 9]] never"}]"#)
        let run = try fixture.conductor(["orchestrator", "1", file, "--queue", fixture.root.path, "--json", "--retries", "2", "--backoff", "0.1"])
        #expect(run.status == 1)
        let report = try QueueFixture.report(run.stdout)
        #expect(report.results[0].result.status == .done)
        #expect(report.results[0].result.attempts == 3)
        #expect(report.results[0].result.agent?.costUsd == 0.0123)
        #expect(report.results[1].result.status == .error)
        #expect(report.results[1].result.attempts == 3)
        #expect(report.results[1].result.output.contains("429"))
        #expect(run.stderr.contains("retry"))
    }

    @Test func noLiveWorkerIsAClearErrorNotAHang() throws {
        let fixture = try QueueFixture()
        let file = try fixture.tasksFile(#"[{"command": "true"}]"#)
        let run = try fixture.conductor(["orchestrator", "2", file, "--queue", fixture.root.path, "--worker-wait", "0.5"])
        #expect(run.status == 3)
        #expect(run.stderr.contains("no live worker on the queue \(fixture.root.path)"))
        #expect(run.stderr.contains("conductor worker 0"))
    }

    @Test func badInputExitsTwoAndRunsNothing() throws {
        let fixture = try QueueFixture()
        try fixture.startWorker(0)
        let file = try fixture.tasksFile(#"{"tasks": [{"prompt": "x", "command": "touch ran"}]}"#)
        let run = try fixture.conductor(["orchestrator", "1", file, "--queue", fixture.root.path])
        #expect(run.status == 2)
        #expect(run.stderr.contains("\(file): task 1: has both \"prompt\" and \"command\""))
        #expect(!FileManager.default.fileExists(atPath: fixture.workDirectory + "/ran"))
        let usage = try fixture.conductor(["orchestrator", "0", file])
        #expect(usage.status == 2)
    }

    @Test func writesAGNUParallelJoblogAndReadsStandardInput() throws {
        let fixture = try QueueFixture()
        try fixture.startWorker(0)
        let joblog = fixture.directory.appending("joblog")
        let run = try fixture.conductor(
            ["orchestrator", "1", "-", "--queue", fixture.root.path, "--joblog", joblog],
            input: #"[{"id": "a", "command": "echo hi"}, {"id": "b", "command": "exit 4"}]"#)
        #expect(run.status == 1)
        #expect(run.stdout.contains("1/2 succeeded, 1 failed"))
        let lines = try String(contentsOfFile: joblog, encoding: .utf8).split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
        #expect(lines[0] == ["Seq", "Host", "Starttime", "JobRuntime", "Send", "Receive", "Exitval", "Signal", "Command"])
        #expect(lines.count == 3)
        #expect(lines.dropFirst().map { $0[6] }.sorted() == ["0", "4"])
        #expect(lines.dropFirst().map { String($0[8]) }.sorted() == ["echo hi", "exit 4"])
    }

    @Test func aSecondOrchestratorOnTheSameQueueIsRefused() throws {
        let fixture = try QueueFixture()
        try fixture.startWorker(0)
        let file = try fixture.tasksFile(#"[{"command": "sleep 2"}]"#)
        let first = try BackgroundProcess([Binaries.conductor, "orchestrator", "1", file, "--queue", fixture.root.path], environment: fixture.environment)
        #expect(waitUntil { FileLock.holder(of: fixture.root.orchestratorLockFile) == first.pid })
        let second = try fixture.conductor(["orchestrator", "1", file, "--queue", fixture.root.path])
        #expect(second.status == 3)
        #expect(second.stderr.contains("another orchestrator (pid \(first.pid))"))
        let reset = try fixture.conductor(["reset", "--queue", fixture.root.path])
        #expect(reset.status == 3)
        #expect(first.waitForExit() == 0)
    }
}
