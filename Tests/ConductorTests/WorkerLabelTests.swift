import Conductor
import Foundation
import Queue
import Testing
import TestSupport

/// A repository and a hand-made batch `rl` of two workers, as a batch on a PostgreSQL queue
/// records it (`remote.workerNames`: worker 0 is `hostA-0`, worker 1 `hostB-0`), or as a local
/// batch (`w0`, `w1`): both branches change the first line of `shared.txt` (they conflict);
/// worker 0 ran `t1` (committed, with a warning) and `t3` (no changes), worker 1 ran `t2`.
private final class LabelScenario: @unchecked Sendable {
    let fixture: GitFixture
    let work = TemporaryDirectory("conductor-labels")
    let batch: BatchRecord
    let results: [TaskResult]

    init(remote: Bool) throws {
        fixture = try GitFixture()
        try fixture.write("shared.txt", "one\ntwo\n")
        let base = try fixture.commit("base")
        let directory = work.appending("rl")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var batch = BatchRecord(
            name: "rl", createdAt: Date(), directory: directory, tasksFile: work.appending("tasks.json"), workers: 2,
            worktrees: true, sequential: false,
            repos: [BatchRepository(path: fixture.path, name: "repo", base: "main", baseCommit: base)], setup: nil)
        if remote {
            batch.remote = RemoteBatchRecord(queue: try #require(try TaskQueueAddress("postgres://conductor@db/conductor")), remoteName: "origin",
                                             remoteURL: "git@host:team/app.git", localWorkers: 0, workerNames: ["hostA-0", "hostB-0"])
        }
        self.batch = batch

        var commits: [String] = []
        for (worker, (task, line)) in [("t1", "ONE"), ("t2", "uno")].enumerated() {
            try fixture.git(["checkout", "-q", "-b", batch.branch(worker: worker), base])
            try fixture.write("shared.txt", "\(line)\ntwo\n")
            commits.append(try fixture.commit("Change the first line\n\nConductor-Task: \(task)"))
        }
        try fixture.git(["checkout", "-q", "main"])

        let start = Date(timeIntervalSince1970: 1_800_000_000)
        func outcome(_ commit: String?, from second: Double, cost: Double, warning: String? = nil) -> TaskResult.Outcome {
            var outcome = TaskResult.Outcome.synthetic(.done, error: "", attempts: 1)
            outcome.error = nil
            outcome.startedAt = start.addingTimeInterval(second)
            outcome.finishedAt = start.addingTimeInterval(second + 1)
            outcome.durationMs = 1_000
            outcome.commit = commit
            outcome.commits = commit.map { [$0] }
            outcome.agent = AgentReport(costUsd: cost)
            outcome.warnings = warning.map { [$0] }
            return outcome
        }
        results = [
            TaskResult(task: .prompt("shout", id: "t1"), worker: 0, result: outcome(commits[0], from: 0, cost: 0.25, warning: "the agent moved HEAD")),
            TaskResult(task: .prompt("translate", id: "t2"), worker: 1, result: outcome(commits[1], from: 0, cost: 0.5)),
            TaskResult(task: .prompt("look", id: "t3"), worker: 0, result: outcome(nil, from: 2, cost: 0.125)),
        ]
        let lines = try results.map { String(decoding: try QueueJSON.encoder.encode($0), as: UTF8.self) + "\n" }
        try lines.joined().write(toFile: batch.resultsFile, atomically: true, encoding: .utf8)
    }

    func report() throws -> MergeReport {
        try MergeReport.build(for: batch, results: results)
    }
}

/// The labels `w0`, `w1` that a worker number would make, anywhere in `text`.
private func numberedLabels(in text: String) throws -> [String] {
    try text.matches(of: Regex(#"\bw[0-9]+\b"#)).map { String(text[$0.range]) }
}

/// A batch on a PostgreSQL queue names its workers (`hostA-0`): its report, summary, ledger,
/// warnings, merge outcome, push titles and `show` say those names where a local batch says `w0`, `w1`.
@Suite(.timeLimit(.minutes(3))) struct WorkerLabelTests {
    @Test func reportMarkdownNamesARemoteBatchsWorkers() throws {
        let markdown = try LabelScenario(remote: true).report().markdown()
        for line in [
            "| hostA-0 | `conductor/rl/hostA-0` | 1 | 1 | +1 −1 | 0 | yes |",
            "- hostA-0 and hostB-0: `shared.txt`",
            "1. hostA-0 `conductor/rl/hostA-0` (conflicts with hostB-0)",
            "2. hostB-0 `conductor/rl/hostB-0` (conflicts with hostA-0)",
            "### hostA-0 — `conductor/rl/hostA-0`",
            "### `t1` — hostA-0, done",
            "### `t2` — hostB-0, done",
            "- `t3` (hostA-0): no changes",
            "- task t1 (hostA-0): the agent moved HEAD",
            "  - hostA-0: $0.3750",
            "  - hostB-0: $0.5000",
        ] {
            #expect(markdown.contains(line + "\n"), "\(line)\n\(markdown)")
        }
        #expect(try numberedLabels(in: markdown) == [], "\(markdown)")
    }

    @Test func summaryNamesARemoteBatchsWorkers() throws {
        let summary = try LabelScenario(remote: true).report().summary()
        for line in [
            "  hostA-0 conductor/rl/hostA-0: 1 commit(s), 1 file(s), +1 -1",
            "  conflict: hostA-0 and hostB-0 in shared.txt",
            "  suggested merge order: hostA-0, hostB-0",
            "warning: task t1 (hostA-0): the agent moved HEAD",
            "no changes: task t3 (hostA-0)",
        ] {
            #expect(summary.split(separator: "\n").contains(Substring(line)), "\(line)\n\(summary)")
        }
        #expect(try numberedLabels(in: summary) == [], "\(summary)")
    }

    @Test func reportHTMLNamesARemoteBatchsWorkers() throws {
        let html = try LabelScenario(remote: true).report().html()
        for fragment in [
            "<td><a href=\"#task-t1\">t1</a></td><td>hostA-0</td>",
            #"<div class="who">hostA-0</div>"#,
            #"title="t2 · hostB-0 · 1.0 s · done""#,
            "<thead><tr><th></th><th>hostA-0</th><th>hostB-0</th><th>main</th></tr></thead><tbody><tr><th>hostA-0</th>",
            "Suggested merge order: hostA-0, hostB-0.",
            "<summary>hostB-0 <code>conductor/rl/hostB-0</code>:",
            "<dt>Worker</dt><dd>hostA-0</dd>",
        ] {
            #expect(html.contains(fragment), "\(fragment)")
        }
        #expect(try numberedLabels(in: html) == [])
    }

    @Test func mergeOutcomesNameARemoteBatchsWorkers() throws {
        let scenario = try LabelScenario(remote: true)
        let report = try scenario.report()
        let branches = try #require(IntegrationMerge.run(for: scenario.batch, report: report).first).summary()
        #expect(branches.contains("  merged: hostA-0 (conductor/rl/hostA-0)\n"), "\(branches)")
        #expect(branches.contains("  left out: hostB-0 (conductor/rl/hostB-0): conflicts with hostA-0 in shared.txt\n"), "\(branches)")
        let tasks = try #require(IntegrationMerge.run(for: scenario.batch, report: report, results: scenario.results,
                                                      mode: .tasks(TaskSelection()), force: true).first).summary()
        #expect(tasks.contains("  left out: t2 (hostB-0): "), "\(tasks)")
        #expect(try numberedLabels(in: branches + tasks) == [], "\(branches)\n\(tasks)")
    }

    @Test func pushTitlesNameARemoteBatchsWorkers() throws {
        let scenario = try LabelScenario(remote: true)
        try scenario.fixture.git(["remote", "add", "origin", scenario.work.appending("remote.git")])
        var options = BatchPush.Options()
        options.dryRun = true
        let outcomes = try BatchPush.run(for: scenario.batch, options: options)
        #expect(outcomes.map(\.gh) == [
            #"gh pr create --head conductor/rl/hostA-0 --base main --title "rl hostA-0: t1""#,
            #"gh pr create --head conductor/rl/hostB-0 --base main --title "rl hostB-0: t2""#,
        ])
    }

    @Test func showNamesARemoteBatchsWorker() throws {
        let scenario = try LabelScenario(remote: true)
        let header = try TaskInspection.load(scenario.batch, task: "t2", includePatch: false).header()
        #expect(header.contains("\nworker:  hostB-0\n"), "\(header)")
    }

    @Test func reportJSONCarriesTheNamesAndLedgerKeysAndStillReadsOldReports() throws {
        var remote = try LabelScenario(remote: true).report()
        remote.generatedAt = Date(timeIntervalSince1970: 1_800_000_000)
        let json = try remote.jsonData()
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(object["workerNames"] as? [String] == ["hostA-0", "hostB-0"])
        let ledger = try #require(object["ledger"] as? [String: Any])
        #expect((ledger["byWorker"] as? [String: Any]).map { Set($0.keys) } == ["hostA-0", "hostB-0"])
        let repos = try #require(object["repos"] as? [[String: Any]])
        #expect(repos.first?["mergeOrder"] as? [Int] == [0, 1], "worker numbers stay numbers")
        #expect(try QueueJSON.decoder.decode(MergeReport.self, from: json) == remote)

        var local = try LabelScenario(remote: false).report()
        local.generatedAt = remote.generatedAt
        let localJSON = try local.jsonData()
        #expect(!String(decoding: localJSON, as: UTF8.self).contains("workerNames"), "a local batch's report.json is as before")
        #expect(try QueueJSON.decoder.decode(MergeReport.self, from: localJSON) == local)
    }

    @Test func aLocalBatchKeepsItsNumberedLabels() throws {
        let scenario = try LabelScenario(remote: false)
        let report = try scenario.report()
        #expect(report.markdown().contains("| w0 | `conductor/rl/w0` | 1 | 1 | +1 −1 | 0 | yes |\n"))
        #expect(report.summary().contains("  conflict: w0 and w1 in shared.txt\n"))
        #expect(report.html().contains(#"<div class="who">w0</div>"#))
        let outcome = try #require(IntegrationMerge.run(for: scenario.batch, report: report).first).summary()
        #expect(outcome.contains("  left out: w1 (conductor/rl/w1): conflicts with w0 in shared.txt\n"), "\(outcome)")
        #expect(try TaskInspection.load(scenario.batch, task: "t2", includePatch: false).header().contains("\nworker:  w1\n"))
    }
}
