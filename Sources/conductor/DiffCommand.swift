import ArgumentParser
import Conductor
import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show the patch of a worker branch against the base, of one task, or of every worker branch.",
        discussion: """
        A worker (w1, or just 1; in a batch on a shared queue, its name, as hostA-0) shows its \
        branch conductor/NAME/w1 (conductor/NAME/hostA-0) against the base as it is now, \
        from where the branch left it (git diff base...branch), in each repository of the batch. A \
        task id shows that task's own commits (as conductor show does). Without either, every worker \
        branch is shown, each under a line naming it. On a terminal the patch is colored and goes \
        through $PAGER (default: less -FRX).

        Examples:
          conductor diff w1 -n 20261125-101502
          conductor diff auth --stat
          conductor diff w0 | git apply --check
        """
    )

    @Argument(help: ArgumentHelp("A worker (w1 or 1, or a remote worker's name) or a task id (default: every worker branch).", valueName: "worker|task"))
    var target: String?

    @OptionGroup var selection: InspectedBatch

    @OptionGroup var display: PatchDisplay

    func run() throws {
        let batch = try selection.record()
        let sections: [(title: String, files: [MergeReport.ChangedFile], insertions: Int, deletions: Int, patch: String?)]
        var several = false
        if let target, let worker = batch.worker(labeled: target) {
            sections = try BranchPatch.read(batch, worker: worker, includePatch: !display.stat).map(Self.section)
            several = batch.repos.count > 1
        } else if let target {
            let inspection: TaskInspection
            do {
                inspection = try TaskInspection.load(batch, task: target, includePatch: !display.stat)
            } catch TaskInspectionError.unknownTask(_, _, let known) {
                throw TaskInspectionError.unknownTarget(target, batch: batch.name, workers: batch.describedWorkers, known: known)
            }
            let entry = inspection.entry
            sections = [("task \(entry.id)", entry.files, entry.insertions, entry.deletions, inspection.patch)]
        } else {
            sections = try (0..<batch.workers).flatMap { try BranchPatch.read(batch, worker: $0, includePatch: !display.stat) }.map(Self.section)
            several = batch.workers * batch.repos.count > 1
        }
        let text = sections.filter { !$0.files.isEmpty }.map { section in
            let body = display.stat ? PatchText.stat(section.files, insertions: section.insertions, deletions: section.deletions)
                : display.painted(section.patch ?? "")
            return several ? "# \(section.title)\n" + body : body
        }
        display.write(text.joined(separator: several ? "\n" : ""))
    }

    private static func section(_ branch: BranchPatch) -> (String, [MergeReport.ChangedFile], Int, Int, String?) {
        ("\(branch.repo): \(branch.branch) against \(branch.base)", branch.files, branch.insertions, branch.deletions, branch.patch)
    }
}
