import ArgumentParser
import Conductor
import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Report what each worker branch of a batch changed, which branches conflict, and a merge order.",
        discussion: """
        For every repository of the batch and every worker branch conductor/NAME/w<n> in it: the commits \
        the base lacks (git log base..branch, with the task of each), the files changed since the branch \
        left the base with line counts (git diff --numstat base...branch), uncommitted files left in the \
        worktree, whether the branch merges cleanly into the base as it is now, which pairs of branches \
        conflict and in which files (found by in-memory merges; nothing is checked out), and a suggested \
        merge order. Task counts, time and cost come from the batch's results.jsonl.

        The report is written to DIR/NAME/report.json and DIR/NAME/report.md and printed (Markdown, or \
        the JSON with --json).

        Examples:
          conductor report                # the newest batch
          conductor report 20261125-101502 -d /tmp/work
          conductor report --json | jq '.repos[].mergeOrder'
          conductor merge                 # then build conductor/NAME/merged
        """
    )

    @OptionGroup var selection: BatchSelection

    @Flag(help: "Print the report as JSON instead of Markdown.")
    var json = false

    func run() throws {
        let batch = try selection.record(for: .inspect)
        let report = try BatchReporting.writeReport(for: batch, results: try MergeReport.readResults(batch.resultsFile))
        if json {
            try printJSON(report)
        } else {
            print(report.markdown(), terminator: "")
        }
    }
}
