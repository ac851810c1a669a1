@testable import Conductor
import Foundation
import Testing
import TestSupport

/// The report reads each range's diff from git once, and makes a patch's text only for a caller
/// that shows it (`report.html`, `show`), not for task entries or the worker branches.
@Suite(.timeLimit(.minutes(3))) struct ReportPatchReadingTests {
    /// Runs a sequential worktree batch `name` of `count` tasks, each committing a file of its own
    /// on the one worker branch, and returns its record and results.
    private func batch(_ fixture: BatchFixture, name: String, tasks count: Int) throws -> (BatchRecord, [TaskResult]) {
        let app = try fixture.makeRepository("app")
        let tasks = (0..<count).map { #"{"id": "t\#($0)", "command": "seq 1 \#($0 + 3) > t\#($0).txt"}"# }
        let file = try fixture.tasksFile("[\(tasks.joined(separator: ", "))]", name: "\(name).json")
        let run = try fixture.conductor(["batch", "--worktrees", "--sequential", "-d", fixture.store, "--name", name, file], in: app)
        #expect(run.status == 0, "\(run.stderr)")
        let record = try BatchStore(path: fixture.store).load(name)
        return (record, try MergeReport.readResults(record.resultsFile))
    }

    @Test func taskEntriesMakeNoPatchText() throws {
        let fixture = try BatchFixture()
        let (record, results) = try batch(fixture, name: "entries", tasks: 3)
        let memo = ReportMemo()
        let readings = try MergeReport.readTasks(of: record, results: results, memo: memo)
        #expect(readings.map(\.entry.commits.count) == [1, 1, 1])
        #expect(memo.diffsRead == 3)
        #expect(memo.patchesRead == 0)
    }

    @Test func showingOneTaskMakesOnlyItsPatch() throws {
        let fixture = try BatchFixture()
        let (record, results) = try batch(fixture, name: "show", tasks: 3)
        let memo = ReportMemo()
        let readings = try MergeReport.readTasks(of: record, results: results, memo: memo, patches: .only("t1"))
        #expect(memo.patchesRead == 1)
        #expect(readings.map { $0.patch != nil } == [false, true, false])
        let inspection = try TaskInspection.load(record, task: "t1")
        #expect(inspection.patch == readings[1].patch)
        #expect(try TaskInspection.load(record, task: "t1", includePatch: false).patch == nil)
    }

    @Test func theReportMakesTheTasksPatchesButNotTheBranchesAndReadsEachRangeOnce() throws {
        let fixture = try BatchFixture()
        let (record, results) = try batch(fixture, name: "report", tasks: 3)
        let memo = ReportMemo()
        let report = try MergeReport.build(for: record, results: results, memo: memo)
        #expect(memo.diffsRead == 4, "three tasks and the branch that holds them")
        #expect(memo.patchesRead == 3, "the tasks' patches, not the branch's")
        #expect(report.taskPatches?.keys.sorted() == ["t0", "t1", "t2"])
        #expect(report.taskPatches?["t1"]?.contains("+++ b/t1.txt") == true)
    }

    @Test func aBranchWithOneTaskHasItsDiffReadOnce() throws {
        let fixture = try BatchFixture()
        let (record, results) = try batch(fixture, name: "single", tasks: 1)
        let memo = ReportMemo()
        let report = try MergeReport.build(for: record, results: results, memo: memo)
        #expect(memo.diffsRead == 1)
        #expect(memo.patchesRead == 1)
        #expect(report.repos.first?.workers.first?.files.map(\.path) == ["t0.txt"])
    }

    /// `merge` builds the report only to read it: no patch text; one saved anyway still gets its
    /// patches into report.html.
    @Test func aReportBuiltWithoutPatchesMakesNoneAndStillSavesThem() throws {
        let fixture = try BatchFixture()
        let (record, results) = try batch(fixture, name: "merging", tasks: 2)
        let memo = ReportMemo()
        let report = try MergeReport.build(for: record, results: results, memo: memo, withPatches: false)
        #expect(memo.patchesRead == 0)
        #expect(report.taskPatches == nil)
        try report.save(for: record)
        let html = try String(contentsOfFile: record.reportHTMLFile, encoding: .utf8)
        #expect(html.contains("+++ b/t1.txt"), "the page shows t1 patch")
    }
}

