import ArgumentParser
import Conductor
import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove a batch's worktrees, queue and directory, and its branches whose work is merged.",
        discussion: """
        A worktree with uncommitted or untracked changes, or with submodules, is kept (its files are \
        listed), and so is a branch with commits the base lacks (its count is given), unless --force. A \
        branch is merged when its commits, and those its task refs (refs/conductor/NAME/wN/) record, are \
        reachable from the base, or when their changes are already there (squash-merged); the refs are \
        deleted together with the branch. Only the worktrees, entries, branches and refs the batch made \
        are touched. What cannot be checked is kept even with --force: a repository that does not open \
        (moved or deleted), a worktree whose .git is gone or broken. While anything is kept, the batch \
        directory keeps batch.json so that report and prune still know it, and it is never deleted \
        while a checkout is left in it.

        A --pool batch's clean worktrees are not removed but parked in their repository's pool \
        (HEAD detached, ignored files such as dependencies kept) for the next --pool batch; \
        prune --pool removes the parked worktrees of every pool (one a batch holds stays its batch's).

        Exit status: 0 when everything is gone, 1 when something was kept (with --dry-run: would be).

        Examples:
          conductor prune --dry-run       # the newest batch: what would go, what stays
          conductor prune 20261125-101502
          conductor prune --all --force   # every batch, unmerged work included
          conductor prune --pool          # the parked worktrees of --pool batches
        """
    )

    @OptionGroup var selection: BatchSelection

    @Flag(help: "Prune every batch in the directory.")
    var all = false

    @Flag(help: "Remove the worktree pools of --pool batches: their parked worktrees (not batches).")
    var pool = false

    @Flag(name: .customLong("dry-run"), help: "Print what would happen; change nothing.")
    var dryRun = false

    @Flag(help: "Also remove dirty worktrees and delete unmerged branches.")
    var force = false

    @Flag(help: "Print the actions as JSON.")
    var json = false

    func validate() throws {
        if all && selection.givenName != nil { throw ValidationError("give a batch name or --all, not both") }
        if pool && (all || selection.givenName != nil || force) {
            throw ValidationError("--pool removes the pools alone: prune the batches first (prune --all), then prune --pool")
        }
    }

    func run() throws {
        let store = selection.storeOptions.store
        var report: [String: [PruneAction]] = [:]
        var keptAnything = false
        var records: [BatchRecord] = []
        if pool {
            let planned = PoolPrune.plan(store: store.path)
            let actions = dryRun ? planned : PoolPrune.execute(planned, store: store.path)
            if json { try printJSON(["pool": actions]) } else {
                print(actions.isEmpty ? "no parked worktrees" : "\(dryRun ? "would prune" : "pruned") the worktree pools:")
                for action in actions { print("  " + Self.describe(action, dryRun: dryRun)) }
            }
            if actions.contains(where: \.keeps) { throw Failure.tasksFailed }
            return
        }
        if all {
            // One batch whose record cannot be read is kept and said; the others are pruned.
            for name in store.batchNames() {
                do {
                    records.append(try store.load(name))
                } catch {
                    keptAnything = true
                    report[name] = [PruneAction(kind: .keepBatchDirectory, path: "\(store.path)/\(name)", reason: "its batch.json cannot be read (\(error)); nothing of it was touched")]
                    if !json { print("kept batch \(name): its batch.json cannot be read (\(error)); nothing of it was touched") }
                }
            }
        } else {
            records = [try selection.record(for: .change)]
        }
        for record in records {
            let planned = try BatchPrune.plan(record, force: force)
            let actions = dryRun ? planned : BatchPrune.execute(planned, record: record, force: force)
            report[record.name] = actions
            keptAnything = keptAnything || actions.contains(where: \.keeps)
            if !json {
                print("\(dryRun ? "would prune" : "pruned") batch \(record.name):")
                for action in actions { print("  " + Self.describe(action, dryRun: dryRun)) }
            }
        }
        if json { try printJSON(report) }
        if keptAnything { throw Failure.tasksFailed }
    }

    static func describe(_ action: PruneAction, dryRun: Bool) -> String {
        let verb: String
        switch action.kind {
        case .cleanStaleEntries: verb = dryRun ? "would clean stale worktree entries" : "cleaned stale worktree entries"
        case .removeWorktree: verb = dryRun ? "would remove worktree" : "removed worktree"
        case .keepWorktree: verb = "kept worktree"
        case .deleteBranch: verb = dryRun ? "would delete branch" : "deleted branch"
        case .keepBranch: verb = "kept branch"
        case .removeQueue: verb = dryRun ? "would remove queue" : "removed queue"
        case .removeBatchDirectory: verb = dryRun ? "would remove batch directory" : "removed batch directory"
        case .keepBatchDirectory: verb = "kept batch directory"
        case .deleteRefs: verb = dryRun ? "would delete the task refs of" : "deleted the task refs of"
        case .keepRefs: verb = "kept the task refs of"
        case .keepRepository: verb = "kept repository"
        case .parkWorktree: verb = dryRun ? "would park worktree" : "parked worktree"
        case .releasePoolEntry: verb = dryRun ? "would release pool entry" : "released pool entry"
        case .deleteRemoteBranch: verb = dryRun ? "would delete remote branch" : "deleted remote branch"
        case .keepRemoteBranch: verb = "kept remote branch"
        case .removeLocalWorkers: verb = dryRun ? "would remove the local workers" : "removed the local workers"
        case .keepLocalWorkers: verb = "kept the local workers"
        }
        let subject = action.branch.map { [.removeWorktree, .keepWorktree, .parkWorktree].contains(action.kind) ? "\(action.path ?? "") (\($0))" : $0 }
            ?? action.path ?? action.poolEntry ?? action.repo ?? ""
        var line = "\(verb) \(subject): \(action.reason)"
        for (label, list) in [("", action.files), ("task refs: ", action.refs)] {
            guard let list, !list.isEmpty else { continue }
            line += " [" + label + list.prefix(8).joined(separator: ", ") + (list.count > 8 ? ", …" : "") + "]"
        }
        return line
    }
}
