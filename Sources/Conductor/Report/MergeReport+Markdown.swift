import FoundationEssentials
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import FoundationShims

extension MergeReport {
    /// `report.md`: per repository a table of the worker branches, the conflicts, the merge order
    /// and each branch's commits and files; then a section per task; then the batch totals.
    public func markdown() -> String {
        var lines = ["# Batch \(batch)", ""]
        if !warnings.isEmpty {
            lines += ["## Warnings", ""] + warnings.map { "- \($0)" } + [""]
        }
        if !unchangedTasks.isEmpty {
            lines += ["## Tasks with no changes", "", "These finished `done` but committed nothing.", ""]
            lines += unchangedTasks.map { unchanged in
                let ignored = unchanged.ignoredPaths.isEmpty ? ""
                    : "; it wrote only paths `.gitignore` ignores (" + unchanged.namingIgnoredPaths(Markdown.path)
                      + "): not committed, and lost at prune"
                return "- \(Markdown.code(unchanged.task))" + (unchanged.worker.map { " (\(workerLabel($0)))" } ?? "") + ": no changes" + ignored
            }
            lines.append("")
        }
        for repo in repos { lines += repo.markdownLines(batch: batch, workerLabel: workerLabel) }
        lines += taskMarkdownLines
        lines += ["## Totals", ""]
        if totals.tasks == 0 {
            lines.append("- Tasks: no results recorded")
        } else {
            lines.append("- Tasks: \(totals.tasks) (\(totals.succeeded) succeeded, \(totals.failed) did not)")
            lines.append("- Time: \(Self.seconds(totals.durationMs))" + (totals.costUsd > 0 ? ", cost $" + Format.fixed(totals.costUsd, 4) : ""))
            if let ledger, ledger.total.tasks > 0 { lines += ledger.markdownLines }
        }
        lines.append("- Branches: \(totals.commits) commit(s), \(totals.filesChanged) file change(s), +\(totals.insertions) −\(totals.deletions)")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A few lines for the end of a batch: per repository the branches with changes, the
    /// conflicts, the suggested merge order and how to look closer.
    public func summary() -> String {
        var lines: [String] = []
        for repo in repos {
            lines.append("\(repo.name) (\(repo.path)), base \(repo.base):")
            let changed = repo.workers.filter(\.hasChanges)
            if changed.isEmpty { lines.append("  no worker branch has changes") }
            for worker in changed {
                var facts = ["\(worker.commits.count) commit(s)", "\(worker.files.count) file(s)", "+\(worker.insertions) -\(worker.deletions)"]
                if !worker.uncommitted.isEmpty { facts.append("\(worker.uncommitted.count) uncommitted file(s)") }
                if !worker.conflictsWithBase.isEmpty {
                    facts.append("conflicts with \(repo.base) in \(worker.conflictsWithBase.joined(separator: ", "))")
                }
                lines.append("  \(workerLabel(worker.worker)) \(worker.branch): " + facts.joined(separator: ", "))
            }
            for conflict in repo.conflicts {
                lines.append("  conflict: \(workerLabel(conflict.a)) and \(workerLabel(conflict.b)) in \(conflict.paths.joined(separator: ", "))")
            }
            if !repo.mergeOrder.isEmpty {
                lines.append("  suggested merge order: " + repo.mergeOrder.map(workerLabel).joined(separator: ", "))
                if let first = repo.mergeOrder.first.flatMap(repo.worker) {
                    lines.append("  inspect: git -C \(repo.path) log --stat \(repo.base)..\(first.branch)")
                }
            }
        }
        lines += warnings.map { "warning: \($0)" }
        lines += unchangedTasks.map { unchanged in
            "no changes: task \(unchanged.task)" + (unchanged.worker.map { " (\(workerLabel($0)))" } ?? "") + (unchanged.hint.map { ": \($0)" } ?? "")
        }
        if repos.contains(where: { !$0.mergeOrder.isEmpty }) {
            lines.append("merge: conductor merge \(batch) builds conductor/\(batch)/merged from the branches that merge cleanly")
        }
        return lines.joined(separator: "\n")
    }

    static func seconds(_ milliseconds: Int) -> String {
        Format.fixed(Double(milliseconds) / 1000, 1) + " s"
    }
}

extension MergeReport.Repo {
    /// This repository's section of `report.md`; `workerLabel` names a worker by its number.
    func markdownLines(batch: String, workerLabel: (Int) -> String) -> [String] {
        let moved = baseTip == baseCommit ? "at \(Markdown.short(baseTip))"
            : "at \(Markdown.short(baseCommit)) when the batch started, now \(Markdown.short(baseTip))"
        var lines = ["## \(name) — \(Markdown.code(path))", "", "Base \(Markdown.code(base)) \(moved).", ""]
        guard !workers.isEmpty else { return lines + ["No worker branch exists in this repository.", ""] }

        lines += [
            "| worker | branch | commits | files | +/− | uncommitted | merges cleanly |",
            "|---:|---|---:|---:|---:|---:|---|",
        ]
        for worker in workers {
            let clean = worker.commits.isEmpty ? "—"
                : worker.mergesCleanly ? "yes" : "no: " + worker.conflictsWithBase.map(Markdown.path).joined(separator: ", ")
            let cells = [
                workerLabel(worker.worker), Markdown.code(worker.branch), "\(worker.commits.count)", "\(worker.files.count)",
                "+\(worker.insertions) −\(worker.deletions)", "\(worker.uncommitted.count)", clean,
            ]
            lines.append("| " + cells.map(Markdown.cell).joined(separator: " | ") + " |")
        }

        lines += ["", "### Conflicts between branches", ""]
        if conflicts.isEmpty {
            lines.append("None: every branch can be merged alongside every other.")
        }
        for conflict in conflicts {
            lines.append("- \(workerLabel(conflict.a)) and \(workerLabel(conflict.b)): " + conflict.paths.map(Markdown.path).joined(separator: ", "))
        }

        lines += ["", "### Merge order", ""]
        if mergeOrder.isEmpty {
            lines.append("Nothing to merge: no branch has commits the base lacks.")
        } else {
            for (position, number) in mergeOrder.enumerated() {
                guard let worker = worker(number) else { continue }
                var notes: [String] = []
                if !worker.mergesCleanly { notes.append("conflicts with \(base)") }
                let others = workersConflicting(with: number)
                if !others.isEmpty { notes.append("conflicts with " + others.map(workerLabel).joined(separator: ", ")) }
                lines.append("\(position + 1). \(workerLabel(number)) \(Markdown.code(worker.branch))" + (notes.isEmpty ? "" : " (\(notes.joined(separator: "; ")))"))
            }
            lines += ["", "`conductor merge \(batch)` builds `conductor/\(batch)/merged` from these, leaving out any branch that conflicts."]
        }

        for worker in workers where worker.hasChanges {
            lines += ["", "### \(workerLabel(worker.worker)) — \(Markdown.code(worker.branch))", ""]
            if let worktree = worker.worktree { lines += ["Worktree: \(Markdown.code(worktree))", ""] }
            if !worker.commits.isEmpty {
                lines.append("Commits:")
                lines += worker.commits.map(Self.commitLine)
                lines.append("")
            }
            if !worker.offBranch.isEmpty {
                lines.append("Task commits not on the branch (kept by refs under `refs/\(worker.branch)/`):")
                lines += worker.offBranch.map(Self.commitLine)
                lines.append("")
            }
            if !worker.files.isEmpty {
                lines.append("Files:")
                lines += worker.files.map(Markdown.fileLine)
                lines.append("")
            }
            if !worker.uncommitted.isEmpty {
                lines.append("Uncommitted:")
                lines += worker.uncommitted.map { "- \(Markdown.path($0.path)) (\($0.kind))" }
                lines.append("")
            }
            if lines.last == "" { lines.removeLast() }
        }
        lines.append("")
        return lines
    }

    private static func commitLine(_ commit: MergeReport.Commit) -> String {
        let task = commit.task.map { " task \(Markdown.code($0))" + (commit.madeByAgent == true ? " (committed by the agent)" : "") + ":" } ?? ""
        return "- \(Markdown.code(Markdown.short(commit.sha)))\(task) \(commit.message)"
    }
}

/// Small helpers for writing Markdown that survives odd file names.
enum Markdown {
    /// A file name as a code span, quoted as git quotes it (see `GitQuoting`).
    static func path(_ path: String) -> String {
        code(GitQuoting.quote(path))
    }

    /// A list item for a changed file: its status letter, its name (and the one before a rename),
    /// its line counts, and its mode change (`mode 100644 → 100755`) instead of `+0 −0` for a chmod.
    static func fileLine(_ file: MergeReport.ChangedFile) -> String {
        let renamed = file.oldPath.map { "\(path($0)) → " } ?? ""
        return "- \(file.status.rawValue) \(renamed)\(path(file.path)) " + file.facts(minus: "−", arrow: "→", modeWord: "mode").joined(separator: ", ")
    }

    /// `text` as a fenced code block whose fence is longer than any run of backticks inside it.
    static func fenced(_ text: String) -> [String] {
        let fence = String(repeating: "`", count: max(3, longestBacktickRun(text) + 1))
        return [fence, text, fence]
    }

    /// One line: line breaks become spaces.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    private static func longestBacktickRun(_ text: String) -> Int {
        var longest = 0, run = 0
        for character in text {
            run = character == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        return longest
    }

    /// `text` as a code span, with a fence longer than any run of backticks inside it.
    static func code(_ text: String) -> String {
        let fence = String(repeating: "`", count: longestBacktickRun(text) + 1)
        let padded = text.hasPrefix("`") || text.hasSuffix("`") ? " \(text) " : text
        return fence + padded + fence
    }

    /// A table cell: pipes escaped, line breaks flattened.
    static func cell(_ text: String) -> String {
        text.replacing("|", with: "\\|").replacing("\n", with: " ")
    }

    static func short(_ sha: String) -> String { String(sha.prefix(7)) }
}
