import FoundationEssentials
import FoundationShims

extension MergeReport {
    /// The `## Tasks` section of `report.md`: one subsection per task, in the tasks' order.
    var taskMarkdownLines: [String] {
        guard !tasks.isEmpty else { return [] }
        return ["## Tasks", ""] + tasks.flatMap { $0.markdownLines(workerLabel: $0.worker.map(workerLabel)) }
    }
}

extension MergeReport.TaskEntry {
    /// How much of an answer `report.md` shows; `report.json` has it whole.
    static let shownAnswerLines = 20
    static let shownAnswerCharacters = 2_000

    /// This task's subsection: status, time, cost, commits, files and its answer, shortened;
    /// `workerLabel` names its worker.
    func markdownLines(workerLabel: String?) -> [String] {
        var lines = ["### \(Markdown.code(id)) — " + (workerLabel ?? "no worker") + ", \(status.rawValue)", ""]
        if let reason { lines.append("- Why: \(Markdown.code(Markdown.oneLine(reason)))") }
        if attempts == 0 { return lines + ["- Never ran", ""] }
        var facts = ["\(MergeReport.seconds(durationMs))", "\(attempts) attempt(s)"]
        if let agent { facts.append("agent \(Markdown.code(agent))") }
        if let costUsd, costUsd > 0 { facts.append("$" + Format.fixed(costUsd, 4)) }
        if let inputTokens, let outputTokens { facts.append("\(inputTokens) in / \(outputTokens) out tokens") }
        lines.append("- Ran \(kind == "prompt" ? "a prompt" : "a command"): " + facts.joined(separator: ", "))
        if !commits.isEmpty {
            lines.append("- Commits" + (repo.map { " in \(Markdown.code($0))" } ?? "") + ": "
                         + commits.map { Markdown.code(Markdown.short($0)) }.joined(separator: ", "))
        }
        if files.isEmpty {
            lines.append("- No changes")
        } else {
            lines.append("- Files" + (insertions + deletions > 0 ? " (+\(insertions) −\(deletions))" : "") + ":")
            lines += files.map { "  " + Markdown.fileLine($0) }
        }
        lines += answerLines + [""]
        return lines
    }

    /// The answer in a fenced block, its first lines only when it is long.
    private var answerLines: [String] {
        let trimmed = answer.hasSuffix("\n") ? String(answer.dropLast()) : answer
        guard !trimmed.isEmpty else { return ["- No answer"] }
        var shown = trimmed.split(separator: "\n", omittingEmptySubsequences: false).prefix(Self.shownAnswerLines).joined(separator: "\n")
        if shown.count > Self.shownAnswerCharacters { shown = String(shown.prefix(Self.shownAnswerCharacters)) }
        let note = shown.count < trimmed.count ? " (shortened: the whole answer is in report.json)" : ""
        return ["- Answer\(note):", ""] + Markdown.fenced(shown)
    }
}
