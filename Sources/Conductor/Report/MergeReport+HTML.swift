import FoundationEssentials
import FoundationShims
import Queue

extension MergeReport {
    /// `report.html`: one self-contained page (inline style and script, nothing fetched) with the
    /// batch's summary, a timeline of its tasks per worker, the conflicts between worker branches
    /// and between tasks, the branches, and a section per task with its answer and diff.
    ///
    /// Every text from tasks and repositories is escaped. The page reads well without script
    /// (which only adds buttons to expand or collapse every file of every diff).
    ///
    /// - Parameter patches: each task's changes as a unified diff, by task id; a task without one
    ///   shows its file list only.
    public func html(patches: [String: String] = [:]) -> String {
        let title = "conductor · batch \(HTML.escape(batch))"
        var body = [
            "<header><h1>Batch <code>\(HTML.escape(batch))</code></h1>",
            "<p class=\"sub\">Generated \(HTML.escape(generatedAt.ISO8601Format())) · "
                + repos.map { "<code>\(HTML.escape($0.name))</code> (\(HTML.escape($0.path))) on <code>\(HTML.escape($0.base))</code>" }
                .joined(separator: ", ") + "</p>",
            ##"<nav><a href="#summary">Summary</a> <a href="#timeline">Timeline</a> <a href="#conflicts">Conflicts</a> <a href="#branches">Branches</a> <a href="#tasks">Tasks</a></nav></header>"##,
        ]
        body += summaryHTML() + timelineHTML() + conflictsHTML() + branchesHTML() + tasksHTML(patches: patches)
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(title)</title>
        <style>\(Self.htmlStyle)</style>
        </head>
        <body>
        \(body.joined(separator: "\n"))
        <script>\(Self.htmlScript)</script>
        </body>
        </html>

        """
    }

    private func summaryHTML() -> [String] {
        let failed = totals.failed > 0 ? #" <span class="bad">\#(totals.failed) did not</span>"# : ""
        var cards = [
            ("Tasks", "\(totals.tasks)", "\(totals.succeeded) succeeded" + failed),
            ("Time", Self.seconds(totals.durationMs), "first start to last end"),
            ("Commits", "\(totals.commits)", "on \(repos.reduce(0) { $0 + $1.workers.count }) worker branch(es)"),
            ("Files", "\(totals.filesChanged)", #"<span class="plus">+\#(totals.insertions)</span> <span class="minus">−\#(totals.deletions)</span>"#),
        ]
        if let usage = ledger?.total, usage.tasks > 0 || totals.costUsd > 0 {
            let tokens = usage.inputTokens + usage.outputTokens > 0 ? "\(usage.inputTokens) in / \(usage.outputTokens) out tokens" : "no tokens reported"
            cards.insert(("Cost", "$" + Format.fixed(totals.costUsd, 4), tokens), at: 2)
        }
        var lines = [#"<section id="summary"><h2>Summary</h2><div class="cards">"#]
        lines += cards.map { #"<div class="card"><div class="label">\#($0.0)</div><div class="value">\#($0.1)</div><div class="note">\#($0.2)</div></div>"# }
        lines.append("</div>")
        if !warnings.isEmpty {
            lines.append(#"<ul class="warnings">"# + warnings.map { "<li>\(HTML.escape($0))</li>" }.joined() + "</ul>")
        }
        if tasks.isEmpty {
            lines.append("<p>No task entries in this report.</p>")
        } else {
            lines.append(#"<table class="tasks"><thead><tr><th>task</th><th>worker</th><th>status</th><th class="num">time</th><th class="num">cost</th><th class="num">files</th><th class="num">+/−</th><th>conflicts with</th></tr></thead><tbody>"#)
            for task in tasks {
                let cells = [
                    Self.taskLink(task.id), task.worker.map(htmlWorkerLabel) ?? "—", Self.badge(task.status),
                    Self.seconds(task.durationMs), task.costUsd.map { "$" + Format.fixed($0, 4) } ?? "—", "\(task.files.count)",
                    #"<span class="plus">+\#(task.insertions)</span> <span class="minus">−\#(task.deletions)</span>"#,
                    task.conflictsWith.map(Self.taskLink).joined(separator: ", "),
                ]
                let classes = ["", "", "", "num", "num", "num", "num", ""]
                lines.append("<tr>" + zip(classes, cells).map { $0.isEmpty ? "<td>\($1)</td>" : #"<td class="\#($0)">\#($1)</td>"# }.joined() + "</tr>")
            }
            lines.append("</tbody></table>")
        }
        return lines + ["</section>"]
    }

    /// A row per worker, a bar per task placed by its start and end.
    private func timelineHTML() -> [String] {
        let ran = tasks.compactMap { task in
            task.startedAt.map { start in (task, start, task.finishedAt ?? start.addingTimeInterval(Double(task.durationMs) / 1000)) }
        }
        var lines = [#"<section id="timeline"><h2>Timeline</h2>"#]
        guard let first = ran.map(\.1).min(), let last = ran.map(\.2).max() else {
            return lines + ["<p>No task has a start time.</p>", "</section>"]
        }
        let span = max(last.timeIntervalSince(first), 0.001)
        func percent(_ seconds: Double) -> String { Format.fixed(min(max(seconds / span * 100, 0), 100), 2) + "%" }
        let workers = Set(ran.map { $0.0.worker ?? -1 }).sorted()
        lines.append(#"<div class="timeline">"#)
        for worker in workers {
            lines.append(#"<div class="lane"><div class="who">\#(worker < 0 ? "—" : htmlWorkerLabel(worker))</div><div class="track">"#)
            for (task, start, end) in ran where (task.worker ?? -1) == worker {
                let label = [task.id, task.worker.map(workerLabel) ?? "no worker", Self.seconds(task.durationMs), task.status.rawValue]
                let left = start.timeIntervalSince(first), width = max(end.timeIntervalSince(start), span / 200)
                lines.append(##"<a class="bar \##(task.status.rawValue)" href="#\##(HTML.anchor(task.id))" style="left:\##(percent(left));width:\##(percent(width))" title="\##(HTML.escape(label.joined(separator: " · ")))">\##(HTML.escape(task.id))</a>"##)
            }
            lines.append("</div></div>")
        }
        lines.append(#"<div class="axis"><span>0 s</span><span>\#(Self.seconds(Int(span * 1000)))</span></div></div>"#)
        return lines + ["</section>"]
    }

    /// Per repository a worker-by-worker matrix (and each worker against the base), then a
    /// task-by-task matrix when tasks conflict.
    private func conflictsHTML() -> [String] {
        var lines = [#"<section id="conflicts"><h2>Conflicts</h2>"#]
        for repo in repos where !repo.workers.isEmpty {
            let workers = repo.workers.map(\.worker)
            lines.append("<h3>Worker branches in <code>\(HTML.escape(repo.name))</code></h3>")
            let rows = repo.workers.map { worker in
                let cells = workers.map { other -> String in
                    if other == worker.worker { return #"<td class="self"></td>"# }
                    let conflict = repo.conflicts.first { Set([$0.a, $0.b]) == Set([worker.worker, other]) }
                    return conflict.map { Self.conflictCell(title: $0.paths.joined(separator: ", ")) } ?? #"<td class="clean">·</td>"#
                }
                let base = worker.commits.isEmpty ? #"<td class="self">—</td>"#
                    : worker.conflictsWithBase.isEmpty ? #"<td class="clean">·</td>"# : Self.conflictCell(title: worker.conflictsWithBase.joined(separator: ", "))
                return (htmlWorkerLabel(worker.worker), cells + [base])
            }
            lines.append(Self.matrix(columns: workers.map(htmlWorkerLabel) + [HTML.escape(repo.base)], rows: rows))
            if repo.conflicts.isEmpty && repo.workers.allSatisfy(\.conflictsWithBase.isEmpty) {
                lines.append("<p>None: every branch can be merged alongside every other.</p>")
            }
        }
        // Conflicts are recorded on one side or both: a pair counts when either lists the other.
        let pairs = Set(tasks.flatMap { task in task.conflictsWith.flatMap { [[task.id, $0], [$0, task.id]] } })
        let conflicting = tasks.map(\.id).filter { id in pairs.contains { $0[0] == id } }
        if !conflicting.isEmpty {
            lines.append("<h3>Tasks</h3>")
            let rows = conflicting.map { id in
                (Self.taskLink(id), conflicting.map { other in
                    other == id ? #"<td class="self"></td>"#
                        : pairs.contains([id, other]) ? Self.conflictCell(title: "\(id) and \(other)") : #"<td class="clean">·</td>"#
                })
            }
            lines.append(Self.matrix(columns: conflicting.map(HTML.escape), rows: rows))
        }
        return lines + ["</section>"]
    }

    private func branchesHTML() -> [String] {
        var lines = [#"<section id="branches"><h2>Branches</h2>"#]
        let listed = Set(tasks.map(\.id))
        let reference = { (id: String) in listed.contains(id) ? Self.taskLink(id) : "<code>\(HTML.escape(id))</code>" }
        for repo in repos {
            let moved = repo.baseTip == repo.baseCommit ? "" : ", now at <code>\(HTML.escape(repo.baseTip.prefix(7)))</code>"
            lines.append("<h3><code>\(HTML.escape(repo.name))</code>: base <code>\(HTML.escape(repo.base))</code> at <code>\(HTML.escape(repo.baseCommit.prefix(7)))</code>\(moved)</h3>")
            if !repo.mergeOrder.isEmpty {
                lines.append("<p>Suggested merge order: " + repo.mergeOrder.map(htmlWorkerLabel).joined(separator: ", ")
                             + ". <code>conductor merge \(HTML.escape(batch))</code> builds <code>\(HTML.escape("conductor/\(batch)/merged"))</code>.</p>")
            }
            for worker in repo.workers where worker.hasChanges {
                let facts = "\(worker.commits.count) commit(s), \(worker.files.count) file(s), <span class=\"plus\">+\(worker.insertions)</span> <span class=\"minus\">−\(worker.deletions)</span>"
                    + (worker.uncommitted.isEmpty ? "" : ", \(worker.uncommitted.count) uncommitted")
                lines.append("<details><summary>\(htmlWorkerLabel(worker.worker)) <code>\(HTML.escape(worker.branch))</code>: \(facts)</summary><ul>")
                lines += (worker.commits + worker.offBranch).map { commit in
                    "<li><code title=\"\(HTML.escape(commit.sha))\">\(HTML.escape(commit.sha.prefix(7)))</code> "
                        + (commit.task.map { reference($0) + ": " } ?? "") + HTML.escape(commit.message) + "</li>"
                }
                lines += worker.uncommitted.map { "<li>uncommitted: <code>\(HTML.escape($0.path))</code> (\(HTML.escape($0.kind)))</li>" }
                lines.append("</ul></details>")
            }
        }
        return lines + ["</section>"]
    }

    private func tasksHTML(patches: [String: String]) -> [String] {
        var lines = [#"<section id="tasks"><h2>Tasks</h2><div class="toolbar" hidden><button type="button" data-open="true">Expand all files</button> <button type="button" data-open="false">Collapse all files</button></div>"#]
        let messages = Dictionary(repos.flatMap { $0.workers.flatMap(\.commits) }.map { ($0.sha, $0.message) }) { first, _ in first }
        for task in tasks {
            lines.append(#"<section class="task" id="\#(HTML.anchor(task.id))"><h3><code>\#(HTML.escape(task.id))</code> \#(Self.badge(task.status))</h3>"#)
            if let reason = task.reason { lines.append(#"<p class="reason">\#(HTML.escape(reason))</p>"#) }
            var facts = [
                ("Worker", task.worker.map(htmlWorkerLabel) ?? "did not run"),
                ("Kind", HTML.escape(task.kind) + (task.agent.map { " (\(HTML.escape($0)))" } ?? "")),
                ("Time", Self.seconds(task.durationMs) + (task.attempts > 1 ? ", \(task.attempts) attempts" : "")),
            ]
            if let repo = task.repo { facts.append(("Repository", "<code>\(HTML.escape(repo))</code>")) }
            let usage = [task.costUsd.map { "$" + Format.fixed($0, 4) },
                         task.inputTokens.map { "\($0) in / \(task.outputTokens ?? 0) out tokens" }].compactMap { $0 }
            if !usage.isEmpty { facts.append(("Cost", usage.joined(separator: ", "))) }
            if !task.commits.isEmpty {
                facts.append(("Commits", task.commits.map { sha in
                    "<code title=\"\(HTML.escape(messages[sha] ?? sha))\">\(HTML.escape(sha.prefix(7)))</code>"
                }.joined(separator: " ")))
            }
            if !task.conflictsWith.isEmpty { facts.append(("Conflicts with", task.conflictsWith.map(Self.taskLink).joined(separator: ", "))) }
            lines.append("<dl>" + facts.map { "<dt>\($0.0)</dt><dd>\($0.1)</dd>" }.joined() + "</dl>")
            lines.append("<h4>Answer</h4>" + (task.answer.isEmpty ? "<p class=\"none\">No answer.</p>" : #"<pre class="answer">\#(HTML.escape(task.answer))</pre>"#))
            lines.append("<h4>Files</h4>" + (task.files.isEmpty ? "<p class=\"none\">No changes.</p>" : #"<ul class="files">"# + task.files.map(Self.fileItem).joined() + "</ul>"))
            if let patch = patches[task.id], !patch.isEmpty {
                lines.append("<h4>Diff</h4>" + HTML.patch(patch))
            }
            lines.append(##"<p class="top"><a href="#summary">↑ summary</a></p></section>"##)
        }
        return lines + ["</section>"]
    }

    /// Worker `number`'s label (see `WorkerNaming`), escaped.
    private func htmlWorkerLabel(_ number: Int) -> String {
        HTML.escape(workerLabel(number))
    }

    private static func fileItem(_ file: ChangedFile) -> String {
        let path = (file.oldPath.map { "<code>\(HTML.escape($0))</code> → " } ?? "") + "<code>\(HTML.escape(file.path))</code>"
        let mode = file.oldMode.map { old in " mode \(HTML.escape(old)) → \(HTML.escape(file.newMode ?? "?"))" } ?? ""
        let counts = file.binary ? "binary" : #"<span class="plus">+\#(file.insertions)</span> <span class="minus">−\#(file.deletions)</span>"#
        return #"<li><span class="st \#(file.status.rawValue)">\#(file.status.rawValue)</span> \#(path) \#(counts)\#(mode)</li>"#
    }

    private static func taskLink(_ id: String) -> String {
        ##"<a href="#\##(HTML.anchor(id))">\##(HTML.escape(id))</a>"##
    }

    private static func badge(_ status: ResultStatus) -> String {
        #"<span class="badge \#(status.rawValue)">\#(status.rawValue)</span>"#
    }

    private static func conflictCell(title: String) -> String {
        #"<td class="conflict" title="\#(HTML.escape(title))">✕</td>"#
    }

    /// A square table: `columns` (already HTML) across, each row its header and its cells.
    private static func matrix(columns: [String], rows: [(String, [String])]) -> String {
        "<table class=\"matrix\"><thead><tr><th></th>" + columns.map { "<th>\($0)</th>" }.joined() + "</tr></thead><tbody>"
            + rows.map { "<tr><th>\($0.0)</th>" + $0.1.joined() + "</tr>" }.joined() + "</tbody></table>"
    }
}
