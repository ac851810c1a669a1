import Conductor
import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

/// The end-of-run table of tasks, for people.
enum ResultTable {
    static func render(_ results: [TaskResult]) -> String {
        let header = ["TASK", "WORKER", "STATUS", "TRIES", "TIME", "COST", "OUTPUT"]
        let rows = results.map { record -> [String] in
            let outcome = record.result
            return [
                record.task.id,
                record.worker.map(String.init) ?? "-",
                outcome.status.rawValue,
                String(outcome.attempts),
                Format.fixed(Double(outcome.durationMs) / 1000, 1) + "s",
                outcome.agent?.costUsd.map { "$" + Format.fixed($0, 4) } ?? "-",
                resultCell(outcome),
            ]
        }
        return table([header] + rows) + logLines(results)
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
    static func logLines(_ results: [TaskResult]) -> String {
        results.compactMap { record in record.result.failureLog.map { "\nlog of \(record.task.id): \($0)" } }.joined()
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
