import Conductor
import Foundation
import Testing
import TestSupport

/// A batch of two workers in which one worker's tasks are mostly clean but one of them conflicts
/// with the other worker's only task, and a later task builds on the conflicting one:
/// - `k2` waits for the file `go` (so the other worker runs every other task), then writes shared.txt;
/// - `c1` clean; `k1` writes shared.txt too (conflicts with k2); `d1` appends to shared.txt (needs k1);
///   `f1` commits f1.txt and fails; `c2` clean, and lets k2 go.
///
/// The report's merge order takes k2's worker first (fewer files), so k1 and d1 are the ones left out.
final class TaskBatch: @unchecked Sendable {
    let fixture = try! BatchFixture()
    let app: String
    let name = "tm"
    /// The worker that ran c1, k1, d1, f1 and c2.
    let busyWorker: Int

    init() throws {
        app = try fixture.makeRepository("app")
        let go = fixture.directory.appending("go")
        let file = try fixture.tasksFile("""
        {"tasks": [
          {"id": "k2", "command": "while [ ! -e '\(go)' ]; do sleep 0.05; done; echo k2 > shared.txt", "timeout": 120},
          {"id": "c1", "command": "echo c1 > c1.txt"},
          {"id": "k1", "command": "echo k1 > shared.txt"},
          {"id": "d1", "command": "echo d1 >> shared.txt"},
          {"id": "f1", "command": "echo f1 > f1.txt; exit 1"},
          {"id": "c2", "command": "echo c2 > c2.txt; touch '\(go)'"}
        ]}
        """)
        let batch = try fixture.conductor(["batch", "--worktrees", "-w", "2", "-d", fixture.store, "-n", name, "--json", file], in: app)
        #expect(batch.status == 1, "f1 fails: \(batch.stderr)")
        let results = try #require(try fixture.batchJSON(batch.stdout)["results"] as? [[String: Any]])
        var workers: [String: Int] = [:]
        for record in results {
            if let id = (record["task"] as? [String: Any])?["id"] as? String, let worker = record["worker"] as? Int { workers[id] = worker }
        }
        busyWorker = try #require(workers["c1"])
        #expect(["k1", "d1", "f1", "c2"].allSatisfy { workers[$0] == busyWorker } && workers["k2"] != busyWorker, "\(workers)")
    }

    func merge(_ arguments: [String] = []) throws -> RunResult {
        try fixture.conductor(["merge", name, "-d", fixture.store] + arguments, in: app)
    }

    func mergeJSON(_ arguments: [String] = []) throws -> (status: Int32, repo: [String: Any]) {
        let result = try merge(arguments + ["--json"])
        let outcomes = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
        return (result.status, try #require(outcomes?.first, "\(result.stdout)\(result.stderr)"))
    }

    var merged: String { "conductor/\(name)/merged" }

    func tip(_ revision: String) throws -> String {
        try fixture.git(app, ["rev-parse", revision]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func files(_ revision: String) throws -> [String] {
        try fixture.git(app, ["ls-tree", "-r", "--name-only", revision]).split(separator: "\n").map(String.init)
    }

    /// The task ids of the integration branch's commits since main, oldest first.
    func takenTasks() throws -> [String] {
        try fixture.git(app, ["log", "--reverse", "--format=%(trailers:key=Conductor-Task,valueonly,separator=)", "main..\(merged)"])
            .split(separator: "\n").map(String.init)
    }
}

@Suite(.serialized, .timeLimit(.minutes(4))) struct TaskMergeTests {
    @Test func cleanTasksLandAndTheConflictingOneAndItsDependentAreLeftOutSayingWhy() throws {
        let batch = try TaskBatch()
        let app = batch.app
        let head = try batch.tip("HEAD")
        let result = try batch.merge()
        #expect(result.status == 1, "some tasks were left out: \(result.stdout)\(result.stderr)")
        #expect(try batch.takenTasks() == ["k2", "c1", "c2"])
        let tree = try batch.files(batch.merged)
        #expect(tree.contains("c1.txt") && tree.contains("c2.txt") && !tree.contains("f1.txt"), "\(tree)")
        #expect(try batch.fixture.git(app, ["show", "\(batch.merged):shared.txt"]) == "k2\n")
        let parents = try batch.fixture.git(app, ["log", "--format=%P", "main..\(batch.merged)"]).split(separator: "\n")
        #expect(parents.allSatisfy { !$0.contains(" ") }, "one commit per task, no merge commits")
        let c1Message = try batch.fixture.git(app, ["log", "-1", "--format=%B", "--grep=^c1:", batch.merged])
        let c1Source = try batch.fixture.git(app, ["log", "-1", "--format=%B", "--grep=^c1:", "conductor/tm/w\(batch.busyWorker)"])
        #expect(c1Message == c1Source, "the task's message and trailers, nothing added")

        #expect(result.stdout.contains("taken: k2, c1, c2"), "\(result.stdout)")
        #expect(result.stdout.contains("left out: k1 (w\(batch.busyWorker)): conflicts with k2 in shared.txt"), "\(result.stdout)")
        #expect(result.stdout.contains("left out: d1 (w\(batch.busyWorker)): depends on k1, which was left out (shared.txt)"), "\(result.stdout)")
        #expect(result.stdout.contains("left out: f1 (w\(batch.busyWorker)): its status is error; take it with --include-failed"), "\(result.stdout)")

        let json = try batch.mergeJSON()
        #expect(json.status == 1)
        let taken = try #require(json.repo["taken"] as? [[String: Any]])
        #expect(taken.map { $0["task"] as? String } == ["k2", "c1", "c2"])
        #expect(taken.allSatisfy { ($0["commit"] as? String)?.count == 40 && ($0["commits"] as? [String])?.isEmpty == false })
        let leftOut = try #require(json.repo["leftOutTasks"] as? [[String: Any]])
        let byTask = Dictionary(uniqueKeysWithValues: leftOut.compactMap { entry in (entry["task"] as? String).map { ($0, entry) } })
        #expect(byTask["k1"]?["reason"] as? String == "conflicts")
        #expect(byTask["k1"]?["conflictsWith"] as? [String] == ["k2"])
        #expect(byTask["k1"]?["paths"] as? [String] == ["shared.txt"])
        #expect(byTask["d1"]?["reason"] as? String == "dependsOnLeftOut")
        #expect(byTask["d1"]?["dependsOn"] as? [String] == ["k1"])
        #expect(byTask["f1"]?["reason"] as? String == "notDone")
        #expect(byTask.count == 3)

        #expect(try batch.tip("HEAD") == head)
        #expect(try batch.fixture.git(app, ["symbolic-ref", "HEAD"]) == "refs/heads/main\n")
        #expect(try batch.fixture.git(app, ["status", "--porcelain"]).isEmpty)
    }

    @Test func reRunningMakesTheSameBranchAndKeepsACommitTheUserAdded() throws {
        let batch = try TaskBatch()
        let app = batch.app
        _ = try batch.merge()
        let first = try batch.tip(batch.merged)
        #expect(try batch.merge().status == 1)
        #expect(try batch.tip(batch.merged) == first, "the same tasks onto the same base make the same commits")
        #expect(try batch.takenTasks() == ["k2", "c1", "c2"], "nothing taken twice")

        try batch.fixture.git(app, ["switch", "-q", batch.merged])
        try "fixed\n".write(toFile: app + "/fix.txt", atomically: true, encoding: .utf8)
        try batch.fixture.git(app, ["add", "fix.txt"])
        try batch.fixture.git(app, ["commit", "-q", "-m", "Fix after merge"])
        let fix = try batch.tip("HEAD")
        try batch.fixture.git(app, ["switch", "-q", "main"])
        let refused = try batch.merge()
        #expect(refused.status == 3, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains(String(fix.prefix(7))) && refused.stderr.contains("Fix after merge"), "\(refused.stderr)")
        #expect(try batch.tip(batch.merged) == fix)
    }

    @Test func chosenTasksFailedTasksAndWholeWorkers() throws {
        let batch = try TaskBatch()
        let app = batch.app

        let chosen = try batch.merge(["--tasks", "c1,k1,d1"])
        #expect(chosen.status == 0, "everything asked was taken: \(chosen.stdout)\(chosen.stderr)")
        #expect(try batch.takenTasks() == ["c1", "k1", "d1"])
        #expect(try batch.fixture.git(app, ["show", "\(batch.merged):shared.txt"]) == "k1\nd1\n")

        let alone = try batch.merge(["--tasks", "d1"])
        #expect(alone.status == 1)
        #expect(alone.stdout.contains("left out: d1 (w\(batch.busyWorker)): depends on k1, which was not asked for (shared.txt)"), "\(alone.stdout)")

        let unknown = try batch.merge(["--tasks", "c1,nope"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("nope") && unknown.stderr.contains("c1"), "\(unknown.stderr)")

        let asked = try batch.merge(["--tasks", "f1"])
        #expect(asked.status == 1, "a failed task asked for but not taken: \(asked.stdout)")
        #expect(asked.stdout.contains("--include-failed"))

        let failed = try batch.merge(["--include-failed"])
        #expect(failed.status == 1)
        #expect(try batch.takenTasks() == ["k2", "c1", "f1", "c2"])
        #expect(try batch.files(batch.merged).contains("f1.txt"))

        let whole = try batch.merge(["--worker", "w\(batch.busyWorker)"])
        #expect(whole.status == 0, "\(whole.stdout)\(whole.stderr)")
        #expect(try batch.tip(batch.merged) == (try batch.tip("conductor/tm/w\(batch.busyWorker)")), "a fast-forward to the whole branch")
        #expect(whole.stdout.contains("merged: w\(batch.busyWorker)"), "\(whole.stdout)")

        let both = try batch.merge(["--worker", "0,1"])
        #expect(both.status == 1, "one branch conflicts and is left out: \(both.stdout)")
        #expect(try batch.tip(batch.merged) == (try batch.tip("conductor/tm/w\(1 - batch.busyWorker)")))

        let mixed = try batch.merge(["--worker", "0", "--tasks", "c1"])
        #expect(mixed.status == 2, "\(mixed.stderr)")
    }
}

/// The report names, per task, the tasks of other workers it conflicts with.
@Suite(.timeLimit(.minutes(4))) struct TaskConflictReportTests {
    @Test func theReportAndShowNameTheTasksATaskConflictsWith() throws {
        let batch = try TaskBatch()
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(batch.fixture.store)/\(batch.name)/report.json")))
        let tasks = try #require((report as? [String: Any])?["tasks"] as? [[String: Any]])
        let conflicts = Dictionary(uniqueKeysWithValues: tasks.map { ($0["id"] as? String ?? "", $0["conflictsWith"] as? [String] ?? []) })
        #expect(conflicts["k1"]?.contains("k2") == true, "\(conflicts)")
        #expect(conflicts["k2"]?.contains("k1") == true, "\(conflicts)")
        #expect(conflicts["c1"] == [] && conflicts["c2"] == [], "\(conflicts)")
        let show = try batch.fixture.conductor(["show", "k1", "-n", batch.name, "-d", batch.fixture.store, "--json"])
        #expect(show.status == 0, "\(show.stderr)")
        let shown = try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any]
        #expect((shown?["conflictsWith"] as? [String])?.contains("k2") == true, "\(show.stdout)")
    }
}
