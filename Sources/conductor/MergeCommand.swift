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
        abstract: "Build the batch's integration branch conductor/NAME/merged, task by task, from the work that applies cleanly.",
        discussion: """
        In each repository of the batch, conductor starts from the base branch as it is now and takes the \
        batch's tasks one by one: the workers in the report's merge order (clean branches first, then those \
        with the fewest conflicts), each worker's tasks in the order they ran. A task whose commits apply \
        cleanly onto what is taken so far becomes one commit on the integration branch, with the task's \
        own message, trailers and author. A task that conflicts is left out, with the files and the tasks \
        taken before it that it conflicts with; a later task of the same worker whose change does not \
        apply without a left-out one is left out too, and says which. Tasks that did not finish done (a \
        failed task's partial commits) are left out unless --include-failed.

        --tasks a,b takes only those tasks. --worker w1 (repeatable, or w0,w2; a remote worker's name, \
        as hostA-0, in a batch on a shared queue) takes whole worker branches instead, one merge \
        commit per branch that merges cleanly.

        Nothing but conductor/NAME/merged moves: no checkout, index or worktree is touched. The branch \
        is rebuilt from scratch each time, so a task is never taken twice and the same tasks onto the same \
        base give the same commits. It cannot be rebuilt while it is checked out somewhere, nor, without \
        --force, when it has commits merge did not make (a fix committed on it, a merge made by hand): \
        they are named, so you can keep them.

        Exit status: 0 when everything asked for was taken; 1 when something was left out (a conflict, a \
        task depending on a left-out one, a failed task named in --tasks); 2 for bad input (an unknown \
        task or worker); 3 when the branch cannot be rebuilt (commits merge did not make, a checkout).

        Look at the result, then merge it yourself:
          git log --graph --oneline main..conductor/NAME/merged
          git merge conductor/NAME/merged

        Examples:
          conductor merge                 # the newest batch, task by task
          conductor merge 20261125-101502 -d /tmp/work --tasks fix-login,add-tests
          conductor merge -n review --worker w0,w2
          conductor merge --json | jq '.[].leftOutTasks'
        """
    )

    @OptionGroup var selection: BatchSelection

    @Flag(help: "Print one outcome per repository as JSON: the branch, its tip, what was taken and what was left out, and why.")
    var json = false

    @Option(help: ArgumentHelp("Take only these tasks (ids, comma-separated or repeated).", valueName: "ids"))
    var tasks: [String] = []

    @Option(help: ArgumentHelp("Merge these whole worker branches instead of tasks (w1 or 1, or a remote worker's name; comma-separated or repeated).",
                               valueName: "worker"))
    var worker: [String] = []

    @Flag(name: .customLong("include-failed"), help: "Also take tasks that did not finish done (their partial commits).")
    var includeFailed = false

    @Flag(help: "Rebuild the integration branch even over commits merge did not make (they are listed as dropped).")
    var force = false

    private var taskIDs: [String] { Self.list(tasks) }

    func validate() throws {
        if !worker.isEmpty && (!tasks.isEmpty || includeFailed) {
            throw ValidationError("--worker merges whole branches; --tasks and --include-failed choose tasks: give one or the other")
        }
    }

    func run() throws {
        let batch = try selection.record(for: .change)
        let results = try MergeReport.readResults(batch.resultsFile)
        let report = try MergeReport.build(for: batch, results: results, withPatches: false)
        let mode: IntegrationMerge.Mode
        if !worker.isEmpty {
            mode = .workers(try Self.list(worker).map { label in
                guard let number = batch.worker(labeled: label) else {
                    throw InputError("batch \(batch.name) has no worker '\(label)' (its workers: \(batch.describedWorkers))")
                }
                return number
            })
        } else {
            let known = results.map(\.task.id)
            if let unknown = taskIDs.first(where: { !known.contains($0) }) {
                throw InputError("batch \(batch.name) has no task '\(unknown)' (its tasks: \(known.joined(separator: ", ")))")
            }
            mode = .tasks(TaskSelection(tasks: taskIDs.isEmpty ? nil : taskIDs, includeFailed: includeFailed))
        }
        let outcomes = try IntegrationMerge.run(for: batch, report: report, results: results, mode: mode, force: force)
        if json {
            try printJSON(outcomes)
        } else {
            print(outcomes.map { $0.summary() }.joined(separator: "\n"))
        }
        if outcomes.contains(where: isPartial) { throw Failure.tasksFailed }
    }

    /// True when something asked for was left out: a branch or task that conflicts, a task that
    /// depends on a left-out one, a task named in --tasks that did not finish done.
    private func isPartial(_ outcome: IntegrationOutcome) -> Bool {
        outcome.leftOut.contains { $0.reason == .conflicts || $0.reason == .branchMissing }
            || (outcome.leftOutTasks ?? []).contains { task in
                task.reason == .conflicts || task.reason == .dependsOnLeftOut || (task.reason == .notDone && taskIDs.contains(task.task))
            }
    }

    /// Comma-separated and repeated values as one list.
    private static func list(_ values: [String]) -> [String] {
        values.flatMap { $0.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init) }
    }
}
