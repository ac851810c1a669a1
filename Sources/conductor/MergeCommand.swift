import ArgumentParser
import Conductor
import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Build the batch's integration branch conductor/NAME/merged from the worker branches that merge cleanly.",
        discussion: """
        In each repository of the batch, conductor starts from the base branch as it is now and merges the \
        worker branches one by one in the report's merge order (clean branches first, then those with the \
        fewest conflicts), keeping each merge only when it has no conflicts with what is merged so far. \
        Branches that conflict, and branches without commits, are left out, and the reason is printed. \
        The merges happen in memory: no checkout, index or worktree is touched, and no branch moves but \
        conductor/NAME/merged, which is created, or rebuilt from scratch when it exists. It cannot be \
        rebuilt while it is checked out somewhere, nor, without --force, when it has commits merge did \
        not make (a fix committed on it, a merge made by hand): they are named, so you can keep them.

        Look at the result, then merge it yourself:
          git log --graph --oneline main..conductor/NAME/merged
          git merge conductor/NAME/merged

        Examples:
          conductor merge                 # the newest batch
          conductor merge 20261125-101502 -d /tmp/work
          conductor merge --json | jq '.[].leftOut'
        """
    )

    @OptionGroup var selection: BatchSelection

    @Flag(help: "Print one outcome per repository as JSON: the branch, its tip, the workers merged and those left out.")
    var json = false

    @Flag(help: "Rebuild the integration branch even over commits merge did not make (they are listed as dropped).")
    var force = false

    func run() throws {
        let batch = try selection.record(for: .change)
        let report = try MergeReport.build(for: batch, results: try MergeReport.readResults(batch.resultsFile))
        let outcomes = try IntegrationMerge.run(for: batch, report: report, force: force)
        if json {
            try printJSON(outcomes)
        } else {
            print(outcomes.map { $0.summary() }.joined(separator: "\n"))
        }
    }
}
