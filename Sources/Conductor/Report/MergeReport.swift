import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif
import Queue

/// `report.json`: what every worker branch of a batch changed, which branches conflict with the
/// base or with each other, and an order to merge them in.
///
/// Build it with `MergeReport.build(for:results:)`; `markdown()` renders `report.md` and
/// `summary()` the few lines printed at the end of a batch.
public struct MergeReport: Codable, Sendable, Equatable, WorkerNaming {
    public var batch: String
    public var generatedAt: Date
    public var repos: [Repo]
    public var totals: Totals
    /// What needs a look before merging: tasks whose agent moved HEAD or dropped commits, nested
    /// repositories left uncommitted, task commits no worker branch holds any more.
    public var warnings: [String] = []
    /// Tasks that finished `done` but committed nothing (worktree batches and sessions only).
    public var unchangedTasks: [UnchangedTask] = []
    /// What the agents cost and the tokens they used, per worker branch and per agent.
    public var ledger: Ledger?
    /// Every task of the batch, in the order they were given.
    public var tasks: [TaskEntry] = []
    /// In a batch run on a shared queue, its workers' names by worker number, which the
    /// report shows instead of `w<number>` (see `WorkerNaming`); absent for a local batch.
    public var workerNames: [String]?
    /// Each task's unified patch by task id, read with `tasks` when the report was built, for
    /// `report.html`; nil in a report made otherwise (decoded, say). Not part of what the report
    /// says: neither in `report.json` nor compared by `==`.
    var taskPatches: [String: String]? {
        get { carriedPatches.byTask }
        set { carriedPatches.byTask = newValue }
    }
    private var carriedPatches = CarriedPatches()

    /// Patches carried from `build` to `save`; equal whatever they hold.
    private struct CarriedPatches: Sendable, Equatable {
        var byTask: [String: String]?
        static func == (_: CarriedPatches, _: CarriedPatches) -> Bool { true }
    }

    private enum CodingKeys: String, CodingKey {
        case batch, generatedAt, repos, totals, warnings, unchangedTasks, ledger, tasks, workerNames
    }

    public init(batch: String, generatedAt: Date, repos: [Repo], totals: Totals, warnings: [String] = [],
                unchangedTasks: [UnchangedTask] = []) {
        self.batch = batch
        self.generatedAt = generatedAt
        self.repos = repos
        self.totals = totals
        self.warnings = warnings
        self.unchangedTasks = unchangedTasks
    }

    /// One repository of the batch and its worker branches.
    public struct Repo: Codable, Sendable, Equatable {
        /// The main checkout's working directory.
        public var path: String
        /// The repository's directory name inside the batch directory.
        public var name: String
        /// The base branch.
        public var base: String
        /// The base branch's commit when the batch started.
        public var baseCommit: String
        /// The base branch's commit when the report was built (it may have moved since).
        public var baseTip: String
        /// The workers whose branch exists, by worker number.
        public var workers: [WorkerBranch]
        /// Pairs of worker branches that cannot both be merged without conflicts.
        public var conflicts: [BranchConflict]
        /// Worker numbers in a suggested merge order: unmerged branches with commits, those that
        /// merge cleanly into the base first, then by fewest conflicts with other branches, then by
        /// fewest files changed.
        public var mergeOrder: [Int]

        /// The entry of worker `number`, if its branch exists.
        public func worker(_ number: Int) -> WorkerBranch? {
            workers.first { $0.worker == number }
        }

        /// The other workers whose branches conflict with worker `number`'s.
        public func workersConflicting(with number: Int) -> [Int] {
            conflicts.compactMap { $0.a == number ? $0.b : $0.b == number ? $0.a : nil }.sorted()
        }
    }

    /// One worker's branch in one repository.
    public struct WorkerBranch: Codable, Sendable, Equatable {
        public var worker: Int
        public var branch: String
        /// The branch's commit when the report was built.
        public var tip: String
        /// The worker's worktree, when its directory still exists.
        public var worktree: String?
        /// The commits on the branch that the base lacks (`git log base..branch`), oldest first.
        public var commits: [Commit]
        /// Task commits the worker recorded (its refs under `refs/conductor/<batch>/w<n>/`) that the
        /// branch no longer holds: an agent reset the branch or moved HEAD away. Not merged with the branch.
        public var offBranch: [Commit] = []
        /// What the branch changed since it left the base (`git diff --numstat base...branch`).
        public var files: [ChangedFile]
        public var insertions: Int
        public var deletions: Int
        /// Work left in the worktree that no commit holds.
        public var uncommitted: [UncommittedFile]
        /// True when the branch merges into the current base tip without conflicts.
        public var mergesCleanly: Bool
        /// The paths that conflict when the branch is merged into the current base tip.
        public var conflictsWithBase: [String]
        public var state: State

        /// True when the branch has commits the base lacks, its worktree has uncommitted work, or
        /// task commits are off the branch.
        public var hasChanges: Bool { !commits.isEmpty || !uncommitted.isEmpty || !offBranch.isEmpty }
    }

    /// How far a branch's work has reached the base (see `Git.MergeState`).
    public enum State: String, Codable, Sendable {
        case merged, squashMerged, unmerged
    }

    /// A commit on a worker branch.
    public struct Commit: Codable, Sendable, Equatable {
        public var sha: String
        /// The task that made the commit: its `Conductor-Task` trailer, else the task whose result
        /// lists the commit (an agent that committed by itself).
        public var task: String?
        /// The first line of the commit message.
        public var message: String
        /// True for a commit the agent made by itself while its task ran (no conductor trailers);
        /// absent for the commits conductor made.
        public var madeByAgent: Bool?
    }

    /// A file a branch changed, with `git diff --numstat` line counts (0 for binary files).
    public struct ChangedFile: Codable, Sendable, Equatable {
        public var path: String
        /// The path before a rename or copy.
        public var oldPath: String?
        public var status: ChangeStatus
        public var insertions: Int
        public var deletions: Int
        public var binary: Bool
        /// The file's mode before and after, when the change altered it (`100644` → `100755`).
        public var oldMode: String?
        public var newMode: String?

        /// What the change did to the file, in words: `binary`, or its line counts (left out for
        /// a change of mode alone), and its mode change; `minus`, `arrow` and `modeWord` spell them
        /// (`−`, `→`, `mode` in Markdown; `-`, `=>`, `mode change` as `git diff --stat` does).
        func facts(minus: String, arrow: String, modeWord: String) -> [String] {
            var facts: [String] = []
            if binary {
                facts.append("binary")
            } else if insertions + deletions > 0 || oldMode == nil {
                facts.append("+\(insertions) \(minus)\(deletions)")
            }
            if let oldMode, let newMode { facts.append("\(modeWord) \(oldMode) \(arrow) \(newMode)") }
            return facts
        }
    }

    /// A file with uncommitted changes in a worker's worktree.
    public struct UncommittedFile: Codable, Sendable, Equatable {
        public var path: String
        /// `added`, `modified`, `deleted`, `renamed`, `typeChanged`, `untracked` or `conflicted`.
        public var kind: String
    }

    /// Two worker branches that conflict, and where. `a` < `b`.
    public struct BranchConflict: Codable, Sendable, Equatable {
        public var a: Int
        public var b: Int
        public var paths: [String]
    }

    /// Counts over the whole batch.
    public struct Totals: Codable, Sendable, Equatable {
        public var tasks: Int
        public var succeeded: Int
        /// Tasks that did not succeed: failed, timed out, cancelled or skipped.
        public var failed: Int
        public var costUsd: Double
        /// Wall-clock time from the first task's start to the last one's end (the sum of the task
        /// durations when the results carry no times).
        public var durationMs: Int
        public var commits: Int
        /// Files changed, summed over every branch (a file two branches change counts twice).
        public var filesChanged: Int
        public var insertions: Int
        public var deletions: Int
    }
}

extension MergeReport {
    /// Reads `results.jsonl`: one `TaskResult` JSON object per line, ISO-8601 dates.
    ///
    /// A missing file reads as no results. An unterminated last line that does not parse is
    /// taken for a line still being written and ignored.
    ///
    /// - Throws: `ReportError.malformedResults` naming the file and line.
    public static func readResults(_ path: String) throws -> [TaskResult] {
        guard let data = try AtomicFile.read(path) else { return [] }
        let lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        var results: [TaskResult] = []
        for (index, line) in lines.enumerated() {
            guard line.contains(where: { !Self.isWhitespace($0) }) else { continue }
            do {
                results.append(try QueueJSON.decoder.decode(TaskResult.self, from: Data(line)))
            } catch {
                if index == lines.count - 1 { break }
                throw ReportError.malformedResults(file: path, line: index + 1, reason: QueueJSON.describe(error))
            }
        }
        return results
    }

    /// The report as pretty-printed JSON with sorted keys and ISO-8601 dates.
    public func jsonData() throws -> Data {
        try PrettyJSON.encode(self) + Data("\n".utf8)
    }

    /// Writes `report.json`, `report.md` and `report.html` (with each task's patch) into the batch
    /// directory, each atomically.
    public func save(for batch: BatchRecord) throws {
        try AtomicFile.write(try jsonData(), to: batch.reportJSONFile)
        try AtomicFile.write(Data(markdown().utf8), to: batch.reportMarkdownFile)
        var patches = (taskPatches ?? readTaskPatches(in: batch)).filter { !$0.value.isEmpty }
        for (id, patch) in patches where patch.utf8.count > Self.longestPatchInHTML {
            patches[id] = String(decoding: patch.utf8.prefix(Self.longestPatchInHTML), as: UTF8.self)
                + "\n… cut here; conductor show \(id) -n \(batch.name) prints it whole\n"
        }
        try AtomicFile.write(Data(html(patches: patches).utf8), to: batch.reportHTMLFile)
    }

    /// The patch of each task that committed something, by task id, read from the batch's
    /// repositories (for a report that was not built with its patches); one longer than
    /// `longestPatchInHTML` is cut there in `report.html`, with a line that says so.
    private func readTaskPatches(in batch: BatchRecord) -> [String: String] {
        // One handle per repository, so the trees the patches share are read once.
        let repositories = Dictionary(batch.repos.compactMap { repo in (try? Repository.open(at: repo.path)).map { (repo.name, $0) } }) { first, _ in first }
        var patches: [String: String] = [:]
        for entry in tasks where !entry.commits.isEmpty {
            guard let repository = entry.repo.flatMap({ repositories[$0] }) else { continue }
            patches[entry.id] = try? TaskInspection.patch(of: entry, in: repository)
        }
        return patches
    }

    /// The most of one task's patch `report.html` holds.
    static let longestPatchInHTML = 1 << 20

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D
    }
}

/// Failures of the merge report and the integration merge, worded for the user.
public enum ReportError: Error, CustomStringConvertible, Equatable {
    case malformedResults(file: String, line: Int, reason: String)
    case unrelatedHistory(repository: String, branch: String, base: String)

    public var description: String {
        switch self {
        case .malformedResults(let file, let line, let reason):
            return "\(file):\(line): not a task result (\(reason)); fix or delete that line and run the report again"
        case .unrelatedHistory(let repository, let branch, let base):
            return "in \(repository), branch '\(branch)' shares no history with the base '\(base)'; it cannot be compared or merged (delete it or point it at the base's history)"
        }
    }
}
