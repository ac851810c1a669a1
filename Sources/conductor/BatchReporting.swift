import Conductor
import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

/// The end of a batch, for people: the merge report written to disk, and the task table.
enum BatchReporting {
    /// Builds the merge report and writes `report.json` and `report.md` into the batch directory.
    static func writeReport(for record: BatchRecord, results: [TaskResult]) throws -> MergeReport {
        let report = try MergeReport.build(for: record, results: results)
        try report.save(for: record)
        return report
    }

    /// One row per task: worker, status, duration, files its commit changed, cost, and the result
    /// (why it failed; "no changes" for a worktree task that committed nothing); then the log of
    /// each task that did not succeed.
    static func table(_ results: [TaskResult], record batch: BatchRecord) -> String {
        let repositories = batch.repos.compactMap { try? Repository.open(at: $0.path) }
        let unchanged = Dictionary(MergeReport.unchangedTasks(in: batch, results: results).map { ($0.task, $0) }) { first, _ in first }
        let files = ResultTable.Column(header: "FILES") { record in
            record.result.commit.flatMap { filesChanged(by: $0, in: repositories) }.map(String.init) ?? "-"
        }
        let result = ResultTable.Column(header: "RESULT") { record in
            unchanged[record.task.id].map { "no changes" + ($0.hint.map { ": \($0)" } ?? "") } ?? ResultTable.resultCell(record.result)
        }
        return ResultTable.render(results, columns: [.task, .worker(prefix: "w"), .status, .time, files, .cost, result])
    }

    /// How many files a task's commit changed against its parent, in whichever repository has it.
    private static func filesChanged(by sha: String, in repositories: [Repository]) -> Int? {
        for repository in repositories {
            guard let commit = try? repository.resolveCommit(sha) else { continue }
            guard let parent = try? repository.resolveCommit(sha + "^") else { return nil }
            return try? repository.diff(from: parent, to: commit).files.count
        }
        return nil
    }
}
