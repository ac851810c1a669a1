import Conductor
import Foundation
import Testing
import TestSupport
import Queue

/// The chaos suite (`make chaos`): real workers killed with SIGKILL while they work. Every task
/// must end with exactly one final record, and nothing may run twice without a recorded retry.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["CONDUCTOR_CHAOS"] == "1"), .timeLimit(.minutes(10)))
struct ChaosTests {
    @Test func aThousandTasksWhileWorkersAreKilledAndRestarted() throws {
        let fixture = try QueueFixture()
        for id in 0..<8 { try fixture.startWorker(id) }
        let marker = "chaos-\(UUID().uuidString.prefix(8))"
        let tasks = (0..<1000).map { index -> String in
            let work: String
            switch index % 10 {
            case 7: work = "sleep 0.3; echo slow"
            case 8: work = "exit 3"
            case 9: work = "head -c 300000 /dev/zero | tr '\\\\0' x"
            default: work = "echo fast-\(index)"
            }
            return #"{"id": "t\#(index)", "command": "echo t\#(index) >> runs.log; \#(work) # \#(marker)"}"#
        }
        let file = try fixture.tasksFile("[\(tasks.joined(separator: ","))]")
        let journal = fixture.directory.appending("journal.jsonl")
        let orchestrator = try BackgroundProcess(
            [Binaries.conductor, "orchestrator", "8", file, "--queue", fixture.root.path, "--json", "--journal", journal,
             "--retries", "6", "--heartbeat-timeout", "10"], environment: fixture.environment)
        var kills = 0
        var generator = SystemRandomNumberGenerator()
        while orchestrator.process.isRunning {
            usleep(UInt32.random(in: 200_000...600_000, using: &generator))
            guard orchestrator.process.isRunning else { break }
            let victim = Int.random(in: 0..<8, using: &generator)
            if let worker = fixture.workers[victim] {
                kill(worker.pid, SIGKILL)
                _ = worker.waitForExit()
                kills += 1
                try fixture.startWorker(victim)
            }
        }
        #expect(orchestrator.process.terminationStatus == 1, "the failing tasks fail; nothing else: \(orchestrator.output.suffix(2000))")
        let report = try QueueFixture.report(String(orchestrator.output.drop { $0 != "{" }))
        let taskIDs = (0..<1000).map { "t\($0)" }
        // Evidence, not bookkeeping: the journal's final records, and the runs each task itself logged.
        let finals = try Journal.read(journal).filter { $0.event == .result }.compactMap(\.record)
        let finalIDs = Set(finals.map(\.task.id))
        let reported = Dictionary(report.results.map { ($0.task.id, $0) }, uniquingKeysWith: { first, _ in first })
        let lost = taskIDs.filter { !finalIDs.contains($0) || reported[$0] == nil }
        let runs = try String(contentsOfFile: fixture.workDirectory + "/runs.log", encoding: .utf8)
            .split(separator: "\n").reduce(into: [String: Int]()) { $0[String($1), default: 0] += 1 }
        let neverRan = taskIDs.filter { (runs[$0] ?? 0) == 0 }
        let unrecorded = report.results.filter { (runs[$0.task.id] ?? 0) > $0.result.attempts }
        let retries = report.results.reduce(0) { $0 + max(0, $1.result.attempts - 1) }
        let extraRuns = runs.values.reduce(0) { $0 + max(0, $1 - 1) }
        print("chaos: tasks \(report.results.count), kills \(kills), retries \(retries), reruns \(extraRuns), lost \(lost.count), never ran \(neverRan.count), duplicates without record \(unrecorded.count)")
        #expect(report.results.count == 1000)
        #expect(report.results.map(\.task.id) == taskIDs)
        #expect(lost.isEmpty, "no final record: \(lost.prefix(20))")
        #expect(neverRan.isEmpty, "recorded but never ran: \(neverRan.prefix(20))")
        #expect(unrecorded.isEmpty, "ran more often than recorded: \(unrecorded.map(\.task.id))")
        #expect(kills > 0)
        for (index, record) in report.results.enumerated() {
            let expected: ResultStatus = index % 10 == 8 ? .error : .done
            #expect(record.result.status == expected, "\(record.task.id): \(record.result.error ?? "")")
            if index % 10 == 8 { #expect(record.result.exitCode == 3) }
        }
        #expect(finals.count == 1000, "one final journal record per task")
        for slot in fixture.root.existingSlots() {
            #expect((try? slot.readResult()) != nil, "result.json of slot \(slot.id) is whole")
        }
        fixture.workers.values.forEach { $0.stop() }
        #expect(waitUntil { (try? run(["pgrep", "-f", marker]).stdout.isEmpty) ?? false }, "no task process is left behind")
    }

    @Test func aBatchKilledMidwayIsResumedWithEveryTaskRecordedOnce() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let tasks = (0..<30).map { #"{"id": "t\#($0)", "command": "echo \#($0) > file-\#($0).txt; sleep 0.2"}"# }
        let file = try fixture.tasksFile("[\(tasks.joined(separator: ","))]")
        let batch = try BackgroundProcess(
            [Binaries.conductor, "batch", "--worktrees", "-w", "4", "-d", fixture.store, "--name", "k1", file],
            directory: app, environment: fixture.environment)
        let journal = "\(fixture.store)/k1/journal.jsonl"
        #expect(waitUntil { ((try? Journal.read(journal)) ?? []).filter { $0.event == .result }.count >= 10 })
        kill(batch.pid, SIGKILL)
        _ = batch.waitForExit()
        let resumed = try fixture.conductor(["batch", "--resume", "--name", "k1", "-d", fixture.store], in: app)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let final = try BatchRun.finalResults(journal: journal)
        #expect(final.count == 30)
        #expect(final.values.allSatisfy { $0.result.status == .done })
        var committed: [String] = []
        for worker in 0..<4 {
            committed += try fixture.git(app, ["log", "--format=%(trailers:key=Conductor-Task,valueonly)", "main..conductor/k1/w\(worker)"])
                .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        #expect(committed.sorted() == (0..<30).map { "t\($0)" }.sorted(), "every task committed exactly once")
        let worktrees = try fixture.git(app, ["worktree", "list", "--porcelain"])
        for worker in 0..<4 { #expect(worktrees.contains("\(fixture.store)/k1/app/w\(worker)\n")) }
        #expect(try run(["git", "fsck", "--no-progress"], in: app).status == 0)
    }

    @Test func agentsRewritingFilesWhileWorkersAreKilledLoseNoCommit() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let tasks = (0..<24).map { index in
            #"{"id": "f\#(index)", "prompt": "[[write notes/n\#(index).txt draft \#(index)]] [[sleep 0.3]] [[rename notes/n\#(index).txt notes/final\#(index).txt]] [[write scratch\#(index).txt x]] [[delete scratch\#(index).txt]]"}"#
        }
        let file = try fixture.tasksFile("[\(tasks.joined(separator: ","))]")
        let batch = try BackgroundProcess(
            [Binaries.conductor, "batch", "--worktrees", "-w", "4", "-d", fixture.store, "--name", "c1", "--json", file],
            directory: app, environment: fixture.environment)
        let queue = QueueRoot(path: "\(fixture.store)/c1/queue")
        var killed = 0
        for victim in [1, 2] {
            _ = waitUntil { (try? queue.slot(victim).readStatus())?.status == .working }
            if case .held(let owner) = SlotLock.probe(queue.slot(victim)) {
                kill(owner.pid, SIGKILL)
                killed += 1
            }
        }
        #expect(killed == 2, "both victims were killed while working")
        #expect(batch.waitForExit(timeout: 300) == 0, "\(batch.output.suffix(2000))")
        let final = try BatchRun.finalResults(journal: "\(fixture.store)/c1/journal.jsonl")
        #expect(final.count == 24)
        #expect(final.values.allSatisfy { $0.result.status == .done })
        let commits = final.values.compactMap { record in record.result.commit.map { ($0, record.worker!) } }
        #expect(commits.count == 24)
        let unreachable = {
            try commits.filter { sha, worker in
                try run(["git", "merge-base", "--is-ancestor", sha, "conductor/c1/w\(worker)"], in: app).status != 0
            }.map(\.0)
        }
        #expect(try unreachable().isEmpty)
        let prune = try fixture.conductor(["prune", "c1", "-d", fixture.store])
        #expect(prune.status == 1, "unmerged work is kept")
        let lost = try unreachable()
        #expect(lost.isEmpty, "commits lost by prune: \(lost)")
        let retried = final.values.filter { $0.result.attempts > 1 }.count
        print("chaos worktrees: tasks \(final.count), workers killed \(killed), tasks retried \(retried), commits \(commits.count), lost \(lost.count)")
    }

    /// A worker stopped with SIGSTOP (Ctrl-Z, a suspended laptop) while its task runs: the task is
    /// run again elsewhere, but its two attempts never overlap and it is committed once.
    ///
    /// Each attempt holds a kernel lock (flock) named for its task while it runs: an attempt that
    /// finds the lock taken logs an overlap, and a killed attempt's lock is released by the kernel.
    @Test func aStoppedWorkersTaskNeverRunsTwiceAtOnce() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let log = fixture.directory.appending("runs.log")
        let locks = fixture.directory.path
        let tasks = (0..<6).map { index in
            #"{"id": "s\#(index)", "command": "flock -n -E 75 \#(locks)/s\#(index).lock sh -c 'echo s\#(index) start >> \#(log); sleep 6; echo \#(index) > s\#(index).txt; echo s\#(index) end >> \#(log)'; s=$?; [ $s -eq 75 ] && echo s\#(index) overlap >> \#(log); exit $s"}"#
        }
        let file = try fixture.tasksFile("[\(tasks.joined(separator: ","))]")
        let batch = try BackgroundProcess(
            [Binaries.conductor, "batch", "--worktrees", "-w", "3", "-d", fixture.store, "--name", "z1", "--heartbeat-timeout", "4", "--json", file],
            directory: app, environment: fixture.environment)
        let queue = QueueRoot(path: "\(fixture.store)/z1/queue")
        var stopped = false
        if waitUntil({ (try? queue.slot(0).readStatus())?.status == .working }), case .held(let owner) = SlotLock.probe(queue.slot(0)) {
            kill(owner.pid, SIGSTOP)
            stopped = true
            // Silent for longer than the heartbeat timeout and the task: the task is taken elsewhere.
            sleep(9)
            kill(owner.pid, SIGCONT)
        }
        #expect(stopped, "worker 0 was stopped while working")
        #expect(batch.waitForExit(timeout: 300) != nil, "\(batch.output.suffix(2000))")
        let events = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        let overlaps = events.filter { $0.last == "overlap" }.map(\.[0])
        let ends = events.filter { $0.last == "end" }.reduce(into: [String: Int]()) { $0[$1[0], default: 0] += 1 }
        var committed: [String] = []
        for worker in 0..<3 {
            committed += try fixture.git(app, ["log", "--format=%(trailers:key=Conductor-Task,valueonly)", "main..conductor/z1/w\(worker)"])
                .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        let final = try BatchRun.finalResults(journal: "\(fixture.store)/z1/journal.jsonl")
        let retried = final.values.filter { $0.result.attempts > 1 }.map(\.task.id)
        let finishedTwice = ends.filter { $0.value > 1 }
        print("chaos stopped worker: tasks \(final.count), retried \(retried.count), overlapping attempts \(overlaps.count), tasks finished twice \(finishedTwice.count), commits \(committed.count)")
        #expect(!retried.isEmpty, "the stopped worker's task was retried")
        #expect(overlaps.isEmpty, "attempts ran at the same time: \(overlaps)")
        #expect(finishedTwice.isEmpty, "tasks that ran to the end twice: \(finishedTwice)")
        #expect(committed.sorted() == (0..<6).map { "s\($0)" }, "every task committed exactly once")
        #expect(final.count == 6)
        #expect(final.values.allSatisfy { $0.result.status == .done }, "\(final.values.map { "\($0.task.id): \($0.result.error ?? "")" })")
    }
}
