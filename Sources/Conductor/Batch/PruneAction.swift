/// One thing `conductor prune` does, or would do, or refuses to do.
public struct PruneAction: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case cleanStaleEntries, removeWorktree, keepWorktree, deleteBranch, keepBranch, removeQueue, removeBatchDirectory, keepBatchDirectory
        /// A `--pool` batch's worktree, clean: HEAD detached and handed back to the pool, files kept.
        case parkWorktree
        /// A pool entry the batch held but never made a worktree of: handed back.
        case releasePoolEntry
        /// Task refs of a worker whose branch is already gone.
        case deleteRefs, keepRefs
        /// A repository that could not be opened or read: nothing of it was checked, all of it stays.
        case keepRepository
        /// A remote batch's branch on the remote (`tip`: the commit judged).
        case deleteRemoteBranch, keepRemoteBranch
        /// A remote batch's `<batch dir>/workers`: its coordinator's local workers' clones.
        case removeLocalWorkers, keepLocalWorkers

        /// What an action of this kind becomes when carrying it out fails.
        var whenFailed: Kind {
            switch self {
            case .cleanStaleEntries, .removeWorktree, .parkWorktree: .keepWorktree
            case .deleteBranch: .keepBranch
            case .deleteRefs: .keepRefs
            case .deleteRemoteBranch: .keepRemoteBranch
            case .removeLocalWorkers: .keepLocalWorkers
            default: .keepBatchDirectory
            }
        }
    }

    public var kind: Kind
    public var repo: String?
    public var path: String?
    public var branch: String?
    /// The worktree's admin name (`conductor-<batch>-w<n>`), for worktree actions.
    public var worktree: String?
    /// Why, in words.
    public var reason: String
    /// Uncommitted files of a kept worktree, the stale entries cleaned, or the checkouts that keep
    /// the batch directory.
    public var files: [String]?
    /// Commits a kept branch (with its refs) has that the base lacks.
    public var commitsAhead: Int?
    /// The task refs (`refs/conductor/<batch>/w<n>/…`) deleted or kept with the branch.
    public var refs: [String]?
    /// The pool entry (`p<n>`) of a `--pool` batch's worktree, parked, released or removed.
    public var poolEntry: String?
    /// The commit a remote branch was judged at: it is deleted only while still there.
    public var tip: String?

    public init(kind: Kind, repo: String? = nil, path: String? = nil, branch: String? = nil, worktree: String? = nil,
                reason: String, files: [String]? = nil, commitsAhead: Int? = nil, refs: [String]? = nil, poolEntry: String? = nil,
                tip: String? = nil) {
        self.kind = kind
        self.repo = repo
        self.path = path
        self.branch = branch
        self.worktree = worktree
        self.reason = reason
        self.files = files
        self.commitsAhead = commitsAhead
        self.refs = refs
        self.poolEntry = poolEntry
        self.tip = tip
    }

    /// True for the kinds that leave something in place.
    public var keeps: Bool {
        [.keepWorktree, .keepBranch, .keepRefs, .keepRepository, .keepBatchDirectory, .keepRemoteBranch, .keepLocalWorkers].contains(kind)
    }
}
