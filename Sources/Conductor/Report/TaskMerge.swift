import FoundationEssentials
import Queue

/// Which tasks `IntegrationMerge` takes one by one.
public struct TaskSelection: Sendable, Equatable {
    /// Only these tasks (by id), or every task with commits when nil.
    public var tasks: [String]?
    /// Take tasks whose status is not `done` (a failed task's partial commits) too.
    public var includeFailed: Bool

    public init(tasks: [String]? = nil, includeFailed: Bool = false) {
        self.tasks = tasks
        self.includeFailed = includeFailed
    }
}

extension IntegrationOutcome {
    /// A task taken onto the integration branch as one commit.
    public struct TakenTask: Codable, Sendable, Equatable {
        public var task: String
        public var worker: Int?
        /// The task's own commits, oldest first.
        public var commits: [String]
        /// The commit on the integration branch that holds its change.
        public var commit: String
    }

    /// A task with commits that was not taken, and why.
    public struct LeftOutTask: Codable, Sendable, Equatable {
        public var task: String
        public var worker: Int?
        public var reason: TaskReason
        /// The paths where its change conflicts with the integration branch.
        public var paths: [String]
        /// The tasks taken before it that changed those paths.
        public var conflictsWith: [String]
        /// The earlier tasks of its worker, left out or not asked for, that its change builds on.
        public var dependsOn: [String]
        /// The reason in words.
        public var explanation: String
    }

    public enum TaskReason: String, Codable, Sendable {
        /// Its change conflicts with the tasks taken before it (or with the base).
        case conflicts
        /// Its change does not apply without an earlier task of its worker that was left out (or
        /// not asked for).
        case dependsOnLeftOut
        /// Its status is not `done`; taken only when asked (`--include-failed`).
        case notDone
        /// Its change is already on the integration branch (in the base, or made by a task before it).
        case alreadyMerged
    }
}

extension IntegrationMerge {
    /// Takes the tasks of `work` onto `baseTip` one by one, in the report's merge order of workers
    /// and each worker's tasks in the order they ran, each as one commit when its change applies
    /// cleanly onto what is taken so far; records what was taken and left out in `outcome`.
    ///
    /// - Returns: the last commit made (`baseTip` when nothing was taken).
    static func takeTasks(_ work: [TaskWork], selection: TaskSelection, entry: MergeReport.Repo, batch: BatchRecord, repository: Repository,
                          baseTip: ObjectID, into outcome: inout IntegrationOutcome) throws -> ObjectID {
        let rank = { (worker: Int?) -> Int in
            guard let worker else { return Int.max }
            return entry.mergeOrder.firstIndex(of: worker) ?? entry.mergeOrder.count + worker
        }
        let chosen = work.enumerated()
            .filter { selection.tasks?.contains($0.element.task) ?? true }
            .sorted { (rank($0.element.worker), $0.offset) < (rank($1.element.worker), $1.offset) }.map(\.element)
        var head = baseTip
        var taken: [(work: TaskWork, entry: IntegrationOutcome.TakenTask)] = []
        var leftOut: [(work: TaskWork, entry: IntegrationOutcome.LeftOutTask)] = []
        func leaveOut(_ task: TaskWork, _ reason: IntegrationOutcome.TaskReason, _ explanation: String) {
            leftOut.append((task, .init(task: task.task, worker: task.worker, reason: reason, paths: [], conflictsWith: [], dependsOn: [],
                                        explanation: explanation)))
        }
        for task in chosen {
            if task.status != .done && !selection.includeFailed {
                leaveOut(task, .notDone, "its status is \(task.status.rawValue); take it with --include-failed")
                continue
            }
            switch try task.apply(onto: head, in: repository) {
            case .clean(let tree) where tree == (try repository.treeID(of: head)):
                leaveOut(task, .alreadyMerged, "its changes are already in \(taken.isEmpty ? entry.base : "the integration branch")")
            case .clean(let tree):
                head = try repository.commit(tree: tree, parent: head, message: try pickMessage(task, in: repository, batch: batch.name),
                                             signaturesOf: task.last)
                taken.append((task, .init(task: task.task, worker: task.worker, commits: task.commits.map(\.hex), commit: head.hex)))
            case .conflicts(let paths):
                let missing = leftOut.filter { $0.entry.reason != .alreadyMerged }.map(\.work)
                    + work.prefix { $0.task != task.task }.filter { other in !chosen.contains { $0.task == other.task } }
                leftOut.append((task, whyLeftOut(task, conflictingIn: paths, missing: missing, taken: taken.map(\.work),
                                                 asked: chosen, base: entry.base)))
            }
        }
        outcome.taken = taken.map(\.entry)
        outcome.leftOutTasks = leftOut.map(\.entry)
        return head
    }

    /// Why `task`, whose change conflicts in `paths`, is left out: it builds on earlier tasks of
    /// its worker that are `missing` (left out, or not `asked` for) and changed those paths, or
    /// else it conflicts with the tasks `taken` that changed them, or else with the base.
    private static func whyLeftOut(_ task: TaskWork, conflictingIn paths: [String], missing: [TaskWork], taken: [TaskWork],
                                   asked: [TaskWork], base: String) -> IntegrationOutcome.LeftOutTask {
        let touched = Set(paths)
        let needed = missing.filter { $0.worker == task.worker && TaskConflicts.overlapping($0.paths, touched) }
        if !needed.isEmpty {
            let leftOut = needed.filter { other in asked.contains { $0.task == other.task } }.map(\.task)
            let unasked = needed.filter { other in !asked.contains { $0.task == other.task } }.map(\.task)
            let why = [leftOut.isEmpty ? nil : "\(leftOut.joined(separator: ", ")), which was left out",
                       unasked.isEmpty ? nil : "\(unasked.joined(separator: ", ")), which was not asked for"].compactMap { $0 }
            return .init(task: task.task, worker: task.worker, reason: .dependsOnLeftOut, paths: paths, conflictsWith: [],
                         dependsOn: needed.map(\.task), explanation: "depends on \(why.joined(separator: " and ")) (\(paths.joined(separator: ", ")))")
        }
        let others = taken.filter { TaskConflicts.overlapping($0.paths, touched) }.map(\.task)
        let parties = others.isEmpty ? "the base \(base)" : others.joined(separator: ", ")
        return .init(task: task.task, worker: task.worker, reason: .conflicts, paths: paths, conflictsWith: others, dependsOn: [],
                     explanation: "conflicts with \(parties) in \(paths.joined(separator: ", "))")
    }

    /// The message of a task's pick: its last commit's, which is conductor's and carries the
    /// batch's and the task's trailers; when the agent made that commit, its message with those
    /// two trailers added, so a rebuild knows the pick for the task's.
    private static func pickMessage(_ task: TaskWork, in repository: Repository, batch: String) throws -> String {
        var message = try repository.message(of: task.last)
        guard try !repository.commitInfo(task.last).trailer("Conductor-Task").contains(task.task) else { return message }
        while message.hasSuffix("\n") { message.removeLast() }
        return message + "\n\nConductor-Batch: \(batch)\nConductor-Task: \(task.task)\n"
    }

    /// True when commit `info` is exactly the pick of a task of `work` (its `Conductor-Task`
    /// trailer) onto its single parent: what `takeTasks` made, which a rebuild may drop.
    static func isTaskPick(_ info: CommitInfo, of work: [TaskWork], in repository: Repository) throws -> Bool {
        guard info.parents.count == 1, let task = work.first(where: { info.trailer("Conductor-Task").contains($0.task) }) else { return false }
        return try task.apply(onto: info.parents[0], in: repository) == .clean(tree: repository.treeID(of: info.id))
    }
}
