import Conductor
import FoundationEssentials

/// The end of a batch, for people: the merge report written to disk, and the task table.
enum BatchReporting {
    /// Builds the merge report and writes `report.json` and `report.md` into the batch directory.
    static func writeReport(for record: BatchRecord, results: [TaskResult]) throws -> MergeReport {
        let report = try MergeReport.build(for: record, results: results)
        try report.save(for: record)
        return report
    }

    /// One row per task: worker, status, duration, files its commit changed, cost, and the result
    /// (why it failed; "no changes" for a worktree task that committed nothing, as `report`
    /// found it); then the log of each task that did not succeed.
    static func table(_ results: [TaskResult], record batch: BatchRecord, report: MergeReport) -> String {
        let counts = MergeReport.filesChanged(byCommits: results.compactMap(\.result.commit), in: batch.repos)
        let unchanged = Dictionary(report.unchangedTasks.map { ($0.task, $0) }) { first, _ in first }
        let files = ResultTable.Column(header: "FILES") { record in
            record.result.commit.flatMap { counts[$0] }.map(String.init) ?? "-"
        }
        let result = ResultTable.Column(header: "RESULT") { record in
            unchanged[record.task.id].map { "no changes" + ($0.hint.map { ": \($0)" } ?? "") } ?? ResultTable.resultCell(record.result)
        }
        let worker = ResultTable.Column(header: "WORKER") { record in record.worker.map(batch.workerLabel) ?? "-" }
        return ResultTable.render(results, columns: [.task, worker, .status, .time, files, .cost, result])
    }
}
