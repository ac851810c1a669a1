import Conductor
import Foundation
import Testing
import TestSupport
import Queue

/// A repository and a hand-made batch `b1` of three workers:
/// - w0 and w1 change the same line of `shared.txt` (they conflict); w0 also edits `README.md`,
///   which `main` changes too after the batch began (w0 no longer merges cleanly);
/// - w2 renames `old.txt`, deletes `doomed.txt`, edits `notes.txt`, adds `src/new.swift` in two
///   commits, and has a worktree with uncommitted work.
private final class ReportScenario: @unchecked Sendable {
    let fixture: GitFixture
    let work = TemporaryDirectory("conductor-report")
    let batch: BatchRecord
    let baseCommit: String
    let movedBase: String
    let oldBody = (1...20).map { "old line \($0)" }.joined(separator: "\n") + "\n"
    var repo: BatchRepository { batch.repos[0] }

    init() throws {
        fixture = try GitFixture()
        try fixture.write("shared.txt", "one\ntwo\nthree\n")
        try fixture.write("notes.txt", (1...10).map { "note \($0)" }.joined(separator: "\n") + "\n")
        try fixture.write("old.txt", oldBody)
        try fixture.write("doomed.txt", "bye\n")
        baseCommit = try fixture.commit("base")
        let directory = work.appending("b1")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        batch = BatchRecord(
            name: "b1", createdAt: Date(), directory: directory, tasksFile: work.appending("tasks.json"), workers: 3,
            worktrees: true, sequential: false,
            repos: [BatchRepository(path: fixture.path, name: "repo", base: "main", baseCommit: baseCommit)],
            setup: nil)

        try fixture.git(["checkout", "-q", "-b", batch.branch(worker: 0), baseCommit])
        try fixture.write("shared.txt", "ONE\ntwo\nthree\n")
        try fixture.write("README.md", "hello from w0\n")
        try fixture.commit("Shout the first line\n\nConductor-Task: t0")

        try fixture.git(["checkout", "-q", "-b", batch.branch(worker: 1), baseCommit])
        try fixture.write("shared.txt", "uno\ntwo\nthree\n")
        try fixture.write("w1.txt", "w1\n")
        try fixture.commit("Translate the first line\n\nConductor-Task: t1")

        try fixture.git(["checkout", "-q", "-b", batch.branch(worker: 2), baseCommit])
        try FileManager.default.createDirectory(atPath: fixture.path + "/docs", withIntermediateDirectories: true)
        try fixture.git(["mv", "old.txt", "docs/renamed.txt"])
        try fixture.git(["rm", "-q", "doomed.txt"])
        try fixture.commit("Move the old notes\n\nConductor-Task: t2")
        try fixture.write("notes.txt", (1...10).map { $0 == 5 ? "note five" : "note \($0)" }.joined(separator: "\n") + "\nnote 11\n")
        try fixture.write("src/new.swift", "let answer = 42\n")
        try fixture.commit("Add the answer\n\nConductor-Task: t3")

        try fixture.git(["checkout", "-q", "main"])
        let worktree = batch.worktreePath(batch.repos[0], worker: 2)
        try fixture.git(["worktree", "add", "-q", worktree, batch.branch(worker: 2)])
        try fixture.write("scratch.txt", "not committed\n", root: worktree)
        try fixture.write("README.md", "edited in the worktree\n", root: worktree)

        try fixture.write("README.md", "main moved\n")
        movedBase = try fixture.commit("main moves on")
    }

    /// `git diff --numstat -M base...branch`, one `ins<TAB>del<TAB>[old => ]path` line per file.
    func gitNumstat(_ branch: String) throws -> [String] {
        let output = try fixture.git(["diff", "--numstat", "-z", "-M", "main...\(branch)"])
        var tokens = output.split(separator: "\0", omittingEmptySubsequences: false).map(String.init)[...]
        var lines: [String] = []
        while let head = tokens.popFirst(), !head.isEmpty {
            let fields = head.split(separator: "\t", omittingEmptySubsequences: false)
            if fields[2].isEmpty {
                let old = tokens.popFirst() ?? "", new = tokens.popFirst() ?? ""
                lines.append("\(fields[0])\t\(fields[1])\t\(old) => \(new)")
            } else {
                lines.append(head)
            }
        }
        return lines.sorted()
    }
}

private func numstat(_ files: [MergeReport.ChangedFile]) -> [String] {
    files.map { file in
        let counts = file.binary ? "-\t-" : "\(file.insertions)\t\(file.deletions)"
        return "\(counts)\t" + (file.oldPath.map { "\($0) => " } ?? "") + file.path
    }.sorted()
}

@Suite(.timeLimit(.minutes(3))) struct MergeReportTests {
    @Test func reportsWhatEachBranchChangedAsGitSeesIt() throws {
        let scenario = try ReportScenario()
        let report = try MergeReport.build(for: scenario.batch, results: [])
        #expect(report.batch == "b1")
        let repo = try #require(report.repos.first)
        #expect(report.repos.count == 1)
        #expect(repo.path == scenario.fixture.path)
        #expect(repo.baseCommit == scenario.baseCommit)
        #expect(repo.baseTip == scenario.movedBase)
        #expect(repo.workers.map(\.worker) == [0, 1, 2])

        for worker in repo.workers {
            #expect(numstat(worker.files) == (try scenario.gitNumstat(worker.branch)), "files of \(worker.branch)")
            let log = try scenario.fixture.git(["log", "--reverse", "--format=%H", "main..\(worker.branch)"])
            #expect(worker.commits.map(\.sha) == log.split(separator: "\n").map(String.init))
            #expect(worker.tip == (try scenario.fixture.revParse(worker.branch)))
            #expect(worker.state == .unmerged)
            #expect(worker.insertions == worker.files.reduce(0) { $0 + $1.insertions })
        }
        let w2 = try #require(repo.worker(2))
        #expect(w2.commits.map(\.task) == ["t2", "t3"])
        #expect(w2.commits.map(\.message) == ["Move the old notes", "Add the answer"])
        let statuses = Dictionary(uniqueKeysWithValues: w2.files.map { ($0.path, $0.status) })
        #expect(statuses == ["docs/renamed.txt": .renamed, "doomed.txt": .deleted, "notes.txt": .modified, "src/new.swift": .added])
        #expect(w2.files.first { $0.path == "docs/renamed.txt" }?.oldPath == "old.txt")

        #expect(repo.conflicts.map { "w\($0.a) w\($0.b): \($0.paths)" } == ["w0 w1: [\"shared.txt\"]"])
        #expect(repo.workersConflicting(with: 2).isEmpty)
        #expect(repo.worker(0)?.mergesCleanly == false)
        #expect(repo.worker(0)?.conflictsWithBase == ["README.md"])
        #expect(repo.worker(1)?.mergesCleanly == true)
        #expect(w2.mergesCleanly && w2.conflictsWithBase.isEmpty)
        #expect(repo.mergeOrder == [2, 1, 0])

        #expect(w2.worktree == scenario.batch.worktreePath(scenario.repo, worker: 2))
        #expect(w2.uncommitted.map { "\($0.path) \($0.kind)" } == ["README.md modified", "scratch.txt untracked"])
        #expect(repo.worker(0)?.worktree == nil)
        #expect(repo.worker(0)?.uncommitted == [])

        #expect(report.totals.commits == 4)
        #expect(report.totals.filesChanged == repo.workers.reduce(0) { $0 + $1.files.count })
        #expect(try scenario.fixture.git(["status", "--porcelain"]).isEmpty)
    }

    @Test func writesReportFilesWithTheAgreedJSONShape() throws {
        let scenario = try ReportScenario()
        let report = try MergeReport.build(for: scenario.batch, results: [])
        try report.save(for: scenario.batch)
        let data = try Data(contentsOf: URL(fileURLWithPath: scenario.batch.reportJSONFile))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(json.keys).isSuperset(of: ["batch", "repos", "totals"]))
        let repo = try #require((json["repos"] as? [[String: Any]])?.first)
        #expect(Set(repo.keys).isSuperset(of: ["path", "base", "baseCommit", "baseTip", "workers", "conflicts", "mergeOrder"]))
        #expect(repo["mergeOrder"] as? [Int] == [2, 1, 0])
        let workers = try #require(repo["workers"] as? [[String: Any]])
        let workerKeys: Set = [
            "worker", "branch", "commits", "files", "insertions", "deletions", "uncommitted", "mergesCleanly", "conflictsWithBase", "state",
        ]
        #expect(workers.allSatisfy { Set($0.keys).isSuperset(of: workerKeys) })
        #expect(workers[2]["worktree"] as? String == scenario.batch.worktreePath(scenario.repo, worker: 2))
        #expect(workers[2]["state"] as? String == "unmerged")
        let files = try #require(workers[2]["files"] as? [[String: Any]])
        let renamed = try #require(files.first { $0["path"] as? String == "docs/renamed.txt" })
        #expect(renamed["oldPath"] as? String == "old.txt")
        #expect(renamed["status"] as? String == "R")
        #expect(Set(renamed.keys).isSuperset(of: ["path", "oldPath", "status", "insertions", "deletions"]))
        let commit = try #require((workers[2]["commits"] as? [[String: Any]])?.first)
        #expect(Set(commit.keys) == ["sha", "task", "message"])
        let uncommitted = try #require((workers[2]["uncommitted"] as? [[String: Any]])?.last)
        #expect(uncommitted["path"] as? String == "scratch.txt" && uncommitted["kind"] as? String == "untracked")
        let conflict = try #require((repo["conflicts"] as? [[String: Any]])?.first)
        #expect(conflict["a"] as? Int == 0 && conflict["b"] as? Int == 1 && conflict["paths"] as? [String] == ["shared.txt"])
        let totals = try #require(json["totals"] as? [String: Any])
        #expect(Set(totals.keys).isSuperset(of: [
            "tasks", "succeeded", "failed", "costUsd", "durationMs", "commits", "filesChanged", "insertions", "deletions",
        ]))
        let decoded = try JSONDecoder.iso8601.decode(MergeReport.self, from: data)
        #expect(decoded.repos == report.repos && decoded.totals == report.totals)
        var sameMoment = decoded
        sameMoment.generatedAt = report.generatedAt
        #expect(sameMoment == report, "what the report says survives its JSON; the patches carried for report.html are not part of it")

        let markdown = try String(contentsOfFile: scenario.batch.reportMarkdownFile, encoding: .utf8)
        #expect(markdown == report.markdown())
        #expect(markdown.contains("| w2 | `conductor/b1/w2` | 2 | 4 |"))
        #expect(markdown.contains("- w0 and w1: `shared.txt`"))
        #expect(markdown.contains("1. w2 `conductor/b1/w2`"))
        #expect(markdown.contains("no: `README.md`"))
        #expect(markdown.contains("task `t3`: Add the answer"))
        #expect(markdown.contains("R `old.txt` → `docs/renamed.txt`"))
        #expect(markdown.contains("`scratch.txt` (untracked)"))
        let summary = report.summary()
        #expect(summary.contains("suggested merge order: w2, w1, w0"))
        #expect(summary.contains("conflict: w0 and w1 in shared.txt"))
        #expect(summary.contains("conductor merge b1"))
    }

    @Test func integrationBranchMergesWhatMergesCleanlyWithoutTouchingAnyCheckout() throws {
        let scenario = try ReportScenario()
        let fixture = scenario.fixture
        let head = try fixture.revParse("HEAD")
        let w2Tip = try fixture.revParse(scenario.batch.branch(worker: 2))
        let report = try MergeReport.build(for: scenario.batch, results: [])

        let outcome = try #require(try IntegrationMerge.run(for: scenario.batch, report: report).first)
        let merged = scenario.batch.mergedBranch
        #expect(outcome.branch == "conductor/b1/merged")
        #expect(outcome.tip == (try fixture.revParse(merged)))
        #expect(outcome.baseTip == scenario.movedBase)
        #expect(outcome.merged.map(\.worker) == [2, 1])
        #expect(outcome.leftOut.map(\.worker) == [0])
        let left = try #require(outcome.leftOut.first)
        #expect(left.reason == .conflicts)
        #expect(left.paths == ["README.md", "shared.txt"])
        #expect(left.conflictsWith == [1])
        #expect(left.explanation.contains("the base main") && left.explanation.contains("w1"))

        for ancestor in ["main", scenario.batch.branch(worker: 1), scenario.batch.branch(worker: 2)] {
            #expect(try run(["git", "merge-base", "--is-ancestor", ancestor, merged], in: fixture.path).status == 0, "\(ancestor)")
        }
        #expect(try run(["git", "merge-base", "--is-ancestor", scenario.batch.branch(worker: 0), merged], in: fixture.path).status == 1)
        #expect(try fixture.git(["log", "-1", "--format=%P", merged]).split(separator: " ").count == 2)
        #expect(try fixture.git(["log", "-1", "--format=%(trailers:key=Conductor-Worker,valueonly)", merged]).hasPrefix("1"))
        #expect(try fixture.git(["show", "\(merged):shared.txt"]) == "uno\ntwo\nthree\n")
        #expect(try fixture.git(["show", "\(merged):README.md"]) == "main moved\n")
        #expect(try fixture.git(["show", "\(merged):docs/renamed.txt"]) == scenario.oldBody)
        let tree = try fixture.git(["ls-tree", "-r", "--name-only", merged]).split(separator: "\n").map(String.init)
        #expect(tree.sorted() == ["README.md", "docs/renamed.txt", "notes.txt", "shared.txt", "src/new.swift", "w1.txt"])
        let stat = try fixture.git(["show", "--stat", "--format=", "--diff-merges=first-parent", merged])
        #expect(stat.contains("shared.txt") && stat.contains("w1.txt"))

        #expect(try fixture.git(["status", "--porcelain"]).isEmpty)
        #expect(try fixture.revParse("HEAD") == head)
        #expect(try fixture.git(["symbolic-ref", "HEAD"]) == "refs/heads/main\n")
        let worktree = scenario.batch.worktreePath(scenario.repo, worker: 2)
        #expect(try fixture.git(["status", "--porcelain"], in: worktree) == " M README.md\n?? scratch.txt\n")
        #expect(try fixture.revParse(scenario.batch.branch(worker: 2)) == w2Tip)

        let again = try #require(try IntegrationMerge.run(for: scenario.batch, report: report).first)
        #expect(again.merged.map(\.worker) == [2, 1])
        #expect(try fixture.revParse(merged) == again.tip)
        #expect(outcome.summary().contains("left out: w0 (conductor/b1/w0): conflicts with the base main and w1 in README.md, shared.txt"))
    }

    @Test func branchesWithoutCommitsAreListedAndLeftOut() throws {
        let scenario = try ReportScenario()
        try scenario.fixture.git(["branch", "-D", scenario.batch.branch(worker: 1)])
        try scenario.fixture.git(["branch", scenario.batch.branch(worker: 1), scenario.baseCommit])
        try scenario.fixture.git(["branch", "-D", scenario.batch.branch(worker: 0)])
        let report = try MergeReport.build(for: scenario.batch, results: [])
        let repo = try #require(report.repos.first)
        #expect(repo.workers.map(\.worker) == [1, 2])
        #expect(repo.worker(1)?.commits == [] && repo.worker(1)?.files == [] && repo.worker(1)?.state == .merged)
        #expect(repo.conflicts.isEmpty)
        #expect(repo.mergeOrder == [2])
        let outcome = try #require(try IntegrationMerge.run(for: scenario.batch, report: report).first)
        #expect(outcome.merged.map(\.worker) == [2])
        #expect(outcome.leftOut.map(\.reason) == [.noCommits])
    }

    @Test func readsResultsLinesAndTotalsThem() throws {
        let scratch = TemporaryDirectory("conductor-results")
        let path = scratch.appending("results.jsonl")
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var done = TaskResult.Outcome.synthetic(.done, error: "", attempts: 1)
        done.error = nil
        done.durationMs = 4_000
        done.startedAt = start
        done.finishedAt = start.addingTimeInterval(4)
        done.agent = AgentReport(costUsd: 0.25)
        var failed = TaskResult.Outcome.synthetic(.error, error: "exit 1", attempts: 2)
        failed.durationMs = 3_000
        failed.startedAt = start.addingTimeInterval(5)
        failed.finishedAt = start.addingTimeInterval(8)
        failed.agent = AgentReport(costUsd: 0.5)
        let results = [
            TaskResult(task: .prompt("fix it", id: "t0"), worker: 0, result: done),
            TaskResult(task: .command("false", id: "t1"), worker: 1, result: failed),
        ]
        let lines = try results.map { String(decoding: try QueueJSON.encoder.encode($0), as: UTF8.self) }
        try (lines.joined(separator: "\n") + "\n\n{\"task\": {\"id\"").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try MergeReport.readResults(path) == results)
        #expect(try MergeReport.readResults(scratch.appending("missing.jsonl")) == [])

        let scenario = try ReportScenario()
        let totals = try MergeReport.build(for: scenario.batch, results: results).totals
        #expect(totals.tasks == 2 && totals.succeeded == 1 && totals.failed == 1)
        #expect(totals.costUsd == 0.75)
        #expect(totals.durationMs == 8_000)

        try (lines[0] + "\nnot json\n" + lines[1] + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: ReportError.self) { try MergeReport.readResults(path) }
        guard case .malformedResults(let file, let line, _) = error else { Issue.record("wrong error: \(String(describing: error))"); return }
        #expect(file == path && line == 2)
        #expect(error?.description.contains("\(path):2:") == true)
    }
}

private extension JSONDecoder {
    static var iso8601: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
