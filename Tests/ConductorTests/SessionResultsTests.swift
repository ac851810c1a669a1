import Conductor
import Foundation
import Testing
import TestSupport

/// Tasks submitted to a session reach its `results.jsonl` (one final record per task id), so
/// `conductor report NAME` counts them and their cost.
@Suite(.serialized, .timeLimit(.minutes(5))) struct SessionResultsTests {
    @Test func submittedTasksAreCountedByTheSessionsReport() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let environment = fixture.tmuxEnvironment
        defer { _ = try? run(["tmux", "kill-server"], environment: environment) }
        let conductor = { (arguments: [String]) in try run([Binaries.conductor] + arguments, in: app, environment: environment) }
        try fixture.launchSession("s1", workers: 2, in: app)

        let first = try conductor(["submit", "-n", "s1", "-d", fixture.store, "--wait", "--id", "one",
                                   "--prompt", "[[write one.txt one]] [[cost 0.5]]"])
        #expect(first.status == 0, "\(first.stderr)")
        let failing = try conductor(["submit", "-n", "s1", "-d", fixture.store, "--wait", "--id", "two", "--command", "exit 3"])
        #expect(failing.status == 1, "\(failing.stderr)")
        // Submitted again under the same id: its newer record replaces the older one.
        let again = try conductor(["submit", "-n", "s1", "-d", fixture.store, "--wait", "--id", "two", "--command", "echo two > two.txt"])
        #expect(again.status == 0, "\(again.stderr)")
        let background = try conductor(["submit", "-n", "s1", "-d", fixture.store, "--json", "--id", "three",
                                        "--prompt", "[[write three.txt three]] [[cost 0.25]]"])
        #expect(background.status == 0, "\(background.stderr)")
        let resultsFile = "\(fixture.store)/s1/results.jsonl"
        #expect(waitUntil(timeout: 60) { ((try? MergeReport.readResults(resultsFile)) ?? []).contains { $0.task.id == "three" } })

        let results = try MergeReport.readResults(resultsFile)
        #expect(results.map(\.task.id).sorted() == ["one", "three", "two"], "one record per task id")
        #expect(results.first { $0.task.id == "two" }?.result.status == .done, "the final record")

        let report = try conductor(["report", "s1", "-d", fixture.store, "--json"])
        #expect(report.status == 0, "\(report.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        let totals = try #require(json["totals"] as? [String: Any])
        #expect(totals["tasks"] as? Int == 3, "\(totals)")
        #expect(totals["succeeded"] as? Int == 3, "\(totals)")
        #expect(abs((totals["costUsd"] as? Double ?? 0) - 0.75) < 1e-9, "\(totals)")
        let list = try conductor(["list", "-d", fixture.store, "--json"])
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        #expect(listed.first?["tasks"] as? Int == 3, "\(list.stdout)")
        #expect(abs((listed.first?["costUsd"] as? Double ?? 0) - 0.75) < 1e-9, "\(list.stdout)")
        #expect(try conductor(["stop", "-n", "s1", "-d", fixture.store]).status == 0)
    }
}
