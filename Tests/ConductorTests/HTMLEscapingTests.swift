@testable import Conductor
import Foundation
import Testing
import TestSupport

/// `report.html` in-process: everything a task or a repository brings (answers, paths, reasons,
/// diff text) is escaped, ids become valid anchors, and a patch is marked up line by line.
@Suite(.timeLimit(.minutes(3))) struct HTMLEscapingTests {
    static let hostile = #"<script>alert("x") & 'y'</script>"#

    @Test func escapesTheFiveSpecialCharacters() {
        #expect(HTML.escape(Self.hostile) == "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;")
        #expect(HTML.escape("plain text, ünïcode ✓") == "plain text, ünïcode ✓")
        #expect(HTML.escape("<\u{338}script>") == "&lt;\u{338}script&gt;", "a combining mark does not hide a '<'")
    }

    @Test func anchorsAreValidAndDistinct() {
        let ids = ["a b", "a_b", "a-b", "x\"><script>", "über", "t1", "T1", ""]
        let anchors = ids.map(HTML.anchor)
        #expect(Set(anchors).count == ids.count)
        for anchor in anchors {
            #expect(anchor.hasPrefix("task-"))
            #expect(anchor.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }, "\(anchor)")
        }
        #expect(HTML.anchor("t1") == "task-t1")
    }

    @Test func aScriptInAnAnswerPathOrReasonIsText() {
        var report = Self.report()
        report.tasks[0].answer = Self.hostile
        report.tasks[0].reason = "failed: " + Self.hostile
        report.tasks[0].files[0].path = "<img src=x onerror=alert(1)>.txt"
        report.warnings = [Self.hostile]
        let html = report.html(patches: ["t1": "diff --git a/x b/x\n+\(Self.hostile)\n"])
        #expect(html.components(separatedBy: "<script").count == 2, "only the page's own script element")
        #expect(!html.contains("<img"))
        #expect(html.contains("&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;"))
        #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;.txt"))
    }

    @Test func aPatchIsMarkedUpPerFileAndLine() {
        let patch = """
        diff --git a/README.md b/README.md
        index 1111111..2222222 100644
        --- a/README.md
        +++ b/README.md
        @@ -1,2 +1,2 @@
        -# Old title
        +# New & better title
         second line
        --- a line that starts with three dashes
        diff --git a/run.sh b/run.sh
        old mode 100644
        new mode 100755

        """
        let html = HTML.patch(patch)
        #expect(html.components(separatedBy: "<details").count == 3, "one collapsible block per file")
        #expect(html.contains("<summary>"))
        #expect(html.contains("README.md"))
        #expect(html.contains(#"<span class="hunk">@@ -1,2 +1,2 @@</span>"#))
        #expect(html.contains(#"<span class="add">+# New &amp; better title</span>"#))
        #expect(html.contains(#"<span class="del">-# Old title</span>"#))
        #expect(html.contains(#"<span class="ctx"> second line</span>"#))
        #expect(html.contains(#"<span class="del">--- a line that starts with three dashes</span>"#), "inside a hunk it is a removed line")
        #expect(html.contains(#"<span class="meta">+++ b/README.md</span>"#))
        #expect(html.contains(#"<span class="meta">new mode 100755</span>"#))
        #expect(html.contains("run.sh"))
    }

    @Test func crlfLinesAndLinesStartingWithACombiningMarkAreCountedAsTheirOwnLines() {
        let patch = "diff --git a/win.txt b/win.txt\n--- a/win.txt\n+++ b/win.txt\n@@ -1,2 +1,2 @@\n-old\r\n+new\r\n ctx\r\n"
            + "diff --git a/accent.txt b/accent.txt\n--- a/accent.txt\n+++ b/accent.txt\n@@ -1 +1 @@\n-\u{301}old\n+\u{301}new\n"
        let html = HTML.patch(patch)
        #expect(html.components(separatedBy: "<details").count == 3, "the second file's header is not folded into the first's last line")
        #expect(html.contains(#"<span class="del">-old\#r</span><span class="add">+new\#r</span><span class="ctx"> ctx\#r</span>"#))
        #expect(html.components(separatedBy: #"<span class="plus">+1</span> <span class="minus">−1</span>"#).count == 3, "both files count +1 −1")
        #expect(html.contains("<span class=\"add\">+\u{301}new</span>"))
    }

    @Test func theSummaryLinksEveryTaskAndTheMatricesShowConflicts() {
        let html = Self.report().html(patches: [:])
        for task in ["t1", "t2", "odd id/with space"] {
            #expect(html.contains(##"href="#\##(HTML.anchor(task))""##), "\(task)")
            #expect(html.contains(#"id="\#(HTML.anchor(task))""#), "\(task)")
        }
        #expect(html.contains(#"<td class="conflict" title="shared.txt">"#), "worker branches w0 and w1")
        #expect(html.contains(#"<td class="conflict" title="t1 and t2">"#), "tasks t1 and t2")
        #expect(html.contains("bar done"), "a timeline bar per task that ran")
        #expect(html.contains(#"title="t1 · w0 · 2.0 s · done""#))
        #expect(html.contains("prefers-color-scheme: dark"))
        #expect(!html.contains("http://") && !html.contains("https://"), "nothing is fetched")
    }

    /// Two workers whose branches conflict in `shared.txt`, their tasks t1 and t2 conflicting,
    /// and a review task that changed nothing.
    static func report() -> MergeReport {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        func file(_ path: String) -> MergeReport.ChangedFile {
            MergeReport.ChangedFile(path: path, oldPath: nil, status: .modified, insertions: 1, deletions: 1, binary: false)
        }
        func worker(_ number: Int, task: String) -> MergeReport.WorkerBranch {
            MergeReport.WorkerBranch(
                worker: number, branch: "conductor/b1/w\(number)", tip: "aaaa\(number)", worktree: nil,
                commits: [MergeReport.Commit(sha: "abcdef\(number)0000", task: task, message: "Task \(task)", madeByAgent: nil)],
                files: [file("shared.txt")], insertions: 1, deletions: 1, uncommitted: [], mergesCleanly: true,
                conflictsWithBase: [], state: .unmerged)
        }
        func task(_ id: String, worker: Int, from: Double, to: Double, files: [MergeReport.ChangedFile], conflicts: [String]) -> MergeReport.TaskEntry {
            MergeReport.TaskEntry(
                id: id, worker: worker, repo: "repo", kind: "command", status: .done, reason: nil, answer: "ok",
                startedAt: start.addingTimeInterval(from), finishedAt: start.addingTimeInterval(to),
                durationMs: Int((to - from) * 1000), attempts: 1, agent: nil, costUsd: 0.01, inputTokens: 10, outputTokens: 5,
                commits: files.isEmpty ? [] : ["abcdef\(worker)0000"], files: files, insertions: files.count, deletions: files.count,
                conflictsWith: conflicts)
        }
        let repo = MergeReport.Repo(
            path: "/tmp/repo", name: "repo", base: "main", baseCommit: "b0", baseTip: "b0",
            workers: [worker(0, task: "t1"), worker(1, task: "t2")],
            conflicts: [MergeReport.BranchConflict(a: 0, b: 1, paths: ["shared.txt"])], mergeOrder: [0, 1])
        let totals = MergeReport.Totals(tasks: 3, succeeded: 3, failed: 0, costUsd: 0.03, durationMs: 4000, commits: 2,
                                        filesChanged: 2, insertions: 2, deletions: 2)
        var report = MergeReport(batch: "b1", generatedAt: start, repos: [repo], totals: totals)
        report.tasks = [
            task("t1", worker: 0, from: 0, to: 2, files: [file("shared.txt")], conflicts: ["t2"]),
            task("t2", worker: 1, from: 0.5, to: 3, files: [file("shared.txt")], conflicts: ["t1"]),
            task("odd id/with space", worker: 0, from: 2, to: 4, files: [], conflicts: []),
        ]
        return report
    }
}
