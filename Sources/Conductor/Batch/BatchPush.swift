import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

/// Pushes a batch's branches to each repository's remote, so they can become pull requests: the
/// worker branches with commits the base lacks, those of some tasks' workers, or the integration
/// branch `conductor merge` built.
///
/// Pushes never force: a remote branch someone else moved is reported as rejected, with how to
/// look at it, and the other branches still go. Every repository's remote and branches are
/// checked before anything is pushed.
public enum BatchPush {
    /// What to push, and where.
    public struct Options {
        /// The remote to push to in every repository; nil for the base branch's upstream remote,
        /// else `origin`.
        public var remote: String?
        /// Push `conductor/NAME/merged` instead of the worker branches.
        public var merged = false
        /// Push only the branches of the workers that ran these tasks.
        public var tasks: [String]?
        /// Say what would be pushed, contacting no remote.
        public var dryRun = false
        /// Told how each branch's upload goes (branch, progress).
        public var progress: ((String, PushProgress) -> Void)?
        /// The environment git's credential helpers run with.
        public var environment = ProcessInfo.processInfo.environment

        public init() {}
    }

    /// Pushes the branches `options` choose in every repository of `batch`.
    ///
    /// - Returns: one outcome per branch, in repository then branch order.
    /// - Throws: `PushError` when a remote is unknown or missing, the integration branch was not
    ///   built, or a task is unknown (before anything is pushed); `GitError` when a repository
    ///   cannot be read.
    public static func run(for batch: BatchRecord, options: Options) throws -> [PushOutcome] {
        let plans = try plan(batch, options: options)
        if let tasks = options.tasks, plans.allSatisfy({ $0.branches.isEmpty }) {
            throw PushError.tasksCommittedNothing(tasks: tasks, batch: batch.name)
        }
        return try plans.flatMap { plan in
            let repository = try Repository.open(at: plan.repo.path)
            let passwords = GitCredentialHelper(directory: plan.repo.path, environment: options.environment)
            return plan.branches.map { branch in
                var outcome = PushOutcome(
                    repo: plan.repo.path, branch: branch.name, remote: plan.remote, url: plan.url, sha: branch.tip.hex,
                    status: .wouldPush, tasks: branch.tasks, gh: branch.pullRequest)
                guard !options.dryRun else { return outcome }
                do {
                    let result = try repository.push(branch: branch.name, toRemote: plan.remote, passwords: passwords,
                                                     progress: options.progress.map { report in { report(branch.name, $0) } })
                    switch result.status {
                    case .pushed: outcome.status = .pushed
                    case .upToDate: outcome.status = .upToDate
                    case .rejected(let reason, let moved):
                        outcome.status = .rejected
                        let said = reason.hasSuffix(".") ? String(reason.dropLast()) : reason
                        // A server's receive-pack says "failed to update ref" for a lost race and for a held lock alike.
                        let pusher = said.hasPrefix("failed to update ref") ? "someone else pushed to, or is pushing to," : "someone else pushed to"
                        outcome.reason = moved
                            ? "\(pusher) \(branch.name) on \(plan.remote) (\(said)); conductor never forces a push: fetch and look at what is there "
                                + "(git -C \(plan.repo.path) fetch \(plan.remote) \(branch.name) && git -C \(plan.repo.path) log --oneline --graph \(branch.name)...FETCH_HEAD), "
                                + "merge or rebase onto it, then push again"
                            : "\(plan.remote) refused it: \(said)"
                    }
                } catch {
                    outcome.status = .failed
                    outcome.reason = "\(error)"
                }
                return outcome
            }
        }
    }

    /// One repository's remote and the branches to push there.
    private struct Plan {
        var repo: BatchRepository
        var remote: String
        var url: String
        var branches: [Branch]
    }

    private struct Branch {
        var name: String
        var tip: ObjectID
        /// The tasks asked for (`--tasks`) whose work the branch holds.
        var tasks: [String]?
        var pullRequest: String
    }

    private static func plan(_ batch: BatchRecord, options: Options) throws -> [Plan] {
        let taskCommits = try options.tasks.map { try commits(ofTasks: $0, in: batch) }
        let order = (try? TasksFile.load(batch.tasksCopy))?.tasks.map(\.id) ?? []
        return try batch.repos.map { repo in
            let repository = try Repository.open(at: repo.path)
            let (remote, url) = try chooseRemote(in: repository, repo: repo, given: options.remote)
            let baseTip = try repository.resolveBase(repo.base).commit
            let base = repo.base.hasPrefix(remote + "/") ? String(repo.base.dropFirst(remote.count + 1)) : repo.base
            var branches: [Branch] = []
            if options.merged {
                guard let tip = try repository.branchTip(batch.mergedBranch) else {
                    throw PushError.notMerged(batch: batch.name, repo: repo.path, branch: batch.mergedBranch)
                }
                let title = try title(batch.name, tasks: taskIDs(in: repository, from: tip, notIn: baseTip, order: order))
                branches.append(Branch(name: batch.mergedBranch, tip: tip, pullRequest: pullRequest(batch.mergedBranch, base, title)))
            } else {
                for worker in 0..<batch.workers {
                    let name = batch.branch(worker: worker)
                    guard let tip = try repository.branchTip(name) else { continue }
                    let held = try taskIDs(in: repository, from: tip, notIn: baseTip, order: order)
                    var asked: [String]?
                    if let taskCommits {
                        asked = taskCommits.filter { $0.value.contains { repository.contains($0, in: tip) } }.keys.sorted()
                        guard asked?.isEmpty == false else { continue }
                    } else if try repository.commits(from: [tip], hiding: [baseTip]).isEmpty {
                        continue
                    }
                    let title = title("\(batch.name) \(batch.workerLabel(worker))", tasks: held)
                    branches.append(Branch(name: name, tip: tip, tasks: asked, pullRequest: pullRequest(name, base, title)))
                }
            }
            return Plan(repo: repo, remote: remote, url: url, branches: branches)
        }
    }

    /// `given`, else the remote the base branch tracks, else `origin`.
    private static func chooseRemote(in repository: Repository, repo: BatchRepository, given: String?) throws -> (String, String) {
        if let given {
            guard let url = try repository.remoteURL(given) else {
                throw PushError.unknownRemote(given, repo: repo.path, known: try repository.remoteNames())
            }
            return (given, url)
        }
        for candidate in [try repository.upstreamRemote(ofBranch: repo.base), "origin"].compactMap({ $0 }) {
            if let url = try repository.remoteURL(candidate) { return (candidate, url) }
        }
        throw PushError.noRemote(repo: repo.path, base: repo.base, known: try repository.remoteNames())
    }

    /// The commits each task made, by task id, from the batch's results.
    private static func commits(ofTasks ids: [String], in batch: BatchRecord) throws -> [String: [ObjectID]] {
        let results = try MergeReport.readResults(batch.resultsFile)
        let known = Set(results.map(\.task.id))
        let unknown = ids.filter { !known.contains($0) }
        guard unknown.isEmpty else {
            throw PushError.unknownTasks(unknown, batch: batch.name, known: results.map(\.task.id).reduce(into: []) { if !$0.contains($1) { $0.append($1) } })
        }
        var commits: [String: [ObjectID]] = [:]
        for id in ids { commits[id] = [] }
        for result in results where commits[result.task.id] != nil {
            let made = result.result.commits ?? result.result.commit.map { [$0] } ?? []
            commits[result.task.id]! += made.compactMap { try? ObjectID(hex: $0) }
        }
        return commits
    }

    /// The ids of the tasks whose commits (by their `Conductor-Task` trailer) are in `tip` but not
    /// `base`, in the tasks file's `order`.
    private static func taskIDs(in repository: Repository, from tip: ObjectID, notIn base: ObjectID, order: [String]) throws -> [String] {
        var ids: Set<String> = []
        for commit in try repository.commits(from: [tip], hiding: [base]) {
            ids.formUnion(try repository.commitInfo(commit).trailer("Conductor-Task"))
        }
        return ids.sorted { (order.firstIndex(of: $0) ?? order.count, $0) < (order.firstIndex(of: $1) ?? order.count, $1) }
    }

    /// `NAME wN: t0, t3`, at most five task ids.
    private static func title(_ subject: String, tasks: [String]) -> String {
        guard !tasks.isEmpty else { return subject }
        let listed = tasks.prefix(5).joined(separator: ", ")
        return "\(subject): \(listed)" + (tasks.count > 5 ? " and \(tasks.count - 5) more" : "")
    }

    /// The `gh` command that opens a pull request for `branch` (batch names and task ids need no quoting).
    private static func pullRequest(_ branch: String, _ base: String, _ title: String) -> String {
        "gh pr create --head \(branch) --base \(base) --title \"\(title)\""
    }
}

/// What pushing one branch did.
public struct PushOutcome: Codable, Sendable, Equatable {
    /// The repository's main checkout.
    public var repo: String
    public var branch: String
    /// The remote's name and URL.
    public var remote: String
    public var url: String
    /// The branch's commit that was (or would be) pushed.
    public var sha: String
    public var status: Status
    /// Why it was rejected or failed, and what to do.
    public var reason: String?
    /// With `--tasks`: the tasks asked for whose work the branch holds.
    public var tasks: [String]?
    /// The command that opens a pull request for the branch.
    public var gh: String

    public enum Status: String, Codable, Sendable {
        case pushed
        case upToDate = "up-to-date"
        case rejected
        case failed
        /// `--dry-run`: nothing was sent.
        case wouldPush = "would-push"
    }

    /// True when the branch is not on the remote as it is here.
    public var isFailure: Bool { status == .rejected || status == .failed }

    /// A line or two for people: what happened, and the `gh` line or the reason.
    public func summary(showingRepo: Bool) -> String {
        let prefix = showingRepo ? "\(Path.name(repo)): " : ""
        let asked = tasks.map { " (task\($0.count == 1 ? "" : "s") \($0.joined(separator: ", ")))" } ?? ""
        let at = "\(branch)\(asked) at \(sha.prefix(7))"
        switch status {
        case .pushed: return "\(prefix)pushed \(at) to \(remote) (\(url))\n  \(gh)"
        case .upToDate: return "\(prefix)up to date \(at) on \(remote) (\(url))\n  \(gh)"
        case .wouldPush: return "\(prefix)would push \(at) to \(remote) (\(url))\n  \(gh)"
        case .rejected: return "\(prefix)rejected \(at) by \(remote) (\(url)): \(reason ?? "")"
        case .failed: return "\(prefix)failed to push \(at) to \(remote) (\(url)): \(reason ?? "")"
        }
    }
}

/// Why `conductor push` pushes nothing, worded with the fix.
public enum PushError: Error, CustomStringConvertible {
    case unknownRemote(String, repo: String, known: [String])
    case noRemote(repo: String, base: String, known: [String])
    case notMerged(batch: String, repo: String, branch: String)
    case unknownTasks([String], batch: String, known: [String])
    case tasksCommittedNothing(tasks: [String], batch: String)

    public var description: String {
        switch self {
        case .unknownRemote(let name, let repo, let known):
            return "no remote '\(name)' in \(repo) " + (known.isEmpty ? "(it has no remotes)" : "(remotes: \(known.joined(separator: ", ")))")
                + "; name one of them with --remote, or add it: git -C \(repo) remote add \(name) URL"
        case .noRemote(let repo, let base, let known):
            return "no remote to push to in \(repo): \(base) tracks none and there is no 'origin' "
                + (known.isEmpty ? "(it has no remotes); add one: git -C \(repo) remote add origin URL"
                    : "(remotes: \(known.joined(separator: ", "))); name one with --remote, or add one: git -C \(repo) remote add origin URL")
        case .notMerged(let batch, let repo, let branch):
            return "\(branch) does not exist in \(repo); build it first with: conductor merge \(batch)"
        case .unknownTasks(let ids, let batch, let known):
            return "no task \(ids.map { "'\($0)'" }.joined(separator: ", ")) in batch \(batch)'s results "
                + (known.isEmpty ? "(no task has finished yet)" : "(tasks: \(known.joined(separator: ", ")))")
        case .tasksCommittedNothing(let tasks, let batch):
            return "task \(tasks.joined(separator: ", ")) of batch \(batch) committed nothing, so there is no branch to push "
                + "(see its answer with: conductor report \(batch))"
        }
    }
}
