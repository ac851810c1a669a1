import Conductor
import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

/// The end-of-run table of tasks, for people.
enum ResultTable {
    /// A column of a task table: its header, and what a task shows in it.
    struct Column {
        let header: String
        let cell: (TaskResult) -> String

        static var task: Column { Column(header: "TASK") { $0.task.id } }
        static var status: Column { Column(header: "STATUS") { $0.result.status.rawValue } }
        static var tries: Column { Column(header: "TRIES") { String($0.result.attempts) } }
        static var time: Column { Column(header: "TIME") { Format.fixed(Double($0.result.durationMs) / 1000, 1) + "s" } }
        static var cost: Column { Column(header: "COST") { $0.result.agent?.costUsd.map { "$" + Format.fixed($0, 4) } ?? "-" } }

        /// The worker's number.
        static var worker: Column { Column(header: "WORKER") { $0.worker.map(String.init) ?? "-" } }
    }

    static func render(_ results: [TaskResult]) -> String {
        render(results, columns: [.task, .worker, .status, .tries, .time, .cost,
                                  Column(header: "OUTPUT") { resultCell($0.result) }])
    }

    /// One row per task under the headers of `columns`, then the log of each task that did not succeed.
    static func render(_ results: [TaskResult], columns: [Column]) -> String {
        table([columns.map(\.header)] + results.map { record in columns.map { $0.cell(record) } }) + logLines(results)
    }

    /// A task's RESULT cell: the first line of its output, or for a task that did not succeed
    /// the reason it did not (`TaskResult.Outcome.reason`).
    static func resultCell(_ outcome: TaskResult.Outcome) -> String {
        let text = outcome.status.succeeded
            ? outcome.output.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            : outcome.reason ?? outcome.error ?? ""
        return String(text.prefix(120))
    }

    /// `log of TASK: PATH` under the table for each task that did not succeed and has a log.
    private static func logLines(_ results: [TaskResult]) -> String {
        results.compactMap { record in record.result.failureLog.map { "\nlog of \(record.task.id): \($0)" } }.joined()
    }

    /// `warning: task TASK: …` for each warning of each task's result, for under a table (a batch
    /// prints them from its report instead).
    static func warningLines(_ results: [TaskResult]) -> String {
        results.flatMap { record in (record.result.warnings ?? []).map { "\nwarning: task \(record.task.id): \($0)" } }.joined()
    }

    static func summaryLine(_ summary: RunSummary) -> String {
        var parts = ["\(summary.succeeded)/\(summary.total) succeeded"]
        if summary.failed > 0 { parts.append("\(summary.failed) failed") }
        if summary.timedOut > 0 { parts.append("\(summary.timedOut) timed out") }
        if summary.cancelled > 0 { parts.append("\(summary.cancelled) cancelled") }
        if summary.skipped > 0 { parts.append("\(summary.skipped) skipped") }
        if summary.retries > 0 { parts.append("\(summary.retries) retries") }
        parts.append(Format.fixed(Double(summary.durationMs) / 1000, 1) + " s")
        if summary.costUsd > 0 { parts.append("$" + Format.fixed(summary.costUsd, 4)) }
        return parts.joined(separator: ", ")
    }

    /// Left-aligned columns separated by two spaces.
    static func table(_ rows: [[String]]) -> String {
        guard let columns = rows.map(\.count).max() else { return "" }
        let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padded(to: widths[index])
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
