import FoundationEssentials
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import FoundationShims
import Git
import Queue

/// `conductor launch`: a tmux session with an orchestrator pane (a shell whose `CONDUCTOR_HOME`
/// is the session's queue) and one pane per worker. With worktrees, worker n works on branch
/// `conductor/<session>/w<n>` in `<dir>/<session>/<repo>/w<n>`, as a batch of that name would, so
/// `report` and `prune` work on a session too.
package struct SessionLauncher {
    package struct Options: Sendable {
        package var name = "conductor"
        package var workers = 3
        package var worktrees = false
        package var store: BatchStore
        package var repository: String
        /// The agent the workers use.
        package var agent = AgentChoice()
        /// The `conductor` executable the panes run.
        package var executable: String

        package init(store: BatchStore, repository: String, executable: String) {
            self.store = store
            self.repository = repository
            self.executable = executable
        }
    }

    package let options: Options
    package let tmux: Tmux

    package init(options: Options, tmux: Tmux) {
        self.options = options
        self.tmux = tmux
    }

    /// Creates the session record, the worktrees (in parallel) and the tmux session. A stopped
    /// session of the same name is launched again on its own record, worktrees and branches.
    ///
    /// - Throws: `SessionError.exists` when the tmux session exists, `SessionError.stillRunning`
    ///   when a stopped session's workers still live, `BatchError` for a bad name or a batch of
    ///   that name, `GitError` for a repository that cannot be used.
    @discardableResult
    package func launch() throws -> BatchRecord {
        let name = options.name
        guard BatchStore.isValidName(name) else { throw BatchError.invalidName(name) }
        if tmux.hasSession(name) { throw tmux.recordDirectory(ofSession: name) == nil ? SessionError.nameTaken(name) : SessionError.exists(name) }
        let directory = "\(options.store.path)/\(name)"
        let record = FileManager.default.fileExists(atPath: directory) ? try relaunchedRecord(directory) : try newRecord(directory)
        let repo = record.repos[0]
        var workerDirectories = Array(repeating: repo.path, count: options.workers)
        if record.worktrees {
            let repository = try Repository.open(at: repo.path)
            var specs: [WorktreeSpec] = []
            for worker in 0..<options.workers {
                let path = record.worktreePath(repo, worker: worker)
                workerDirectories[worker] = path
                if let existing = try repository.worktree(named: record.worktreeName(repo, worker: worker)), existing.isValid {
                    guard Path.real(existing.path) == Path.real(path) else {
                        throw SessionError.worktreeMoved(name: record.worktreeName(repo, worker: worker), path: existing.path, expected: path)
                    }
                    continue
                }
                let branch = record.branch(worker: worker)
                specs.append(WorktreeSpec(name: record.worktreeName(repo, worker: worker), path: path, branch: branch,
                                          startPoint: try repository.branchTip(branch) == nil ? try ObjectID(hex: repo.baseCommit) : nil))
            }
            for result in try Repository.addWorktrees(specs, repositoryAt: repo.path) { _ = try result.get() }
        }
        try MCPConfig.write(for: record, store: options.store, executable: options.executable)
        try startSession(record, repo: repo, workerDirectories: workerDirectories)
        return record
    }

    /// The record of a new session in `directory`, saved, with its queue.
    private func newRecord(_ directory: String) throws -> BatchRecord {
        let repository = try Repository.open(at: options.repository)
        if let problem = options.store.placementProblem(forRepository: repository.workingDirectory) { throw SessionError.badDirectory(problem) }
        let base = try repository.resolveBase(nil)
        let repo = BatchRepository(path: repository.workingDirectory, name: Path.name(repository.workingDirectory),
                                   base: base.branch, baseCommit: base.commit.hex)
        var record = BatchRecord(name: options.name, createdAt: Date(), directory: directory, tasksFile: "-", workers: options.workers,
                                 worktrees: options.worktrees, sequential: false, repos: [repo],
                                 agent: options.agent, setup: nil)
        record.session = true
        try PrivateDirectory.make(options.store.path)
        try PrivateDirectory.make(directory)
        try options.store.save(record)
        try record.queue.create()
        return record
    }

    /// The record of the stopped session in `directory`, grown to this launch's workers and
    /// worktrees (its branches are all kept, so the record names every one of them).
    private func relaunchedRecord(_ directory: String) throws -> BatchRecord {
        var record = try options.store.load(options.name)
        guard record.isSession else { throw SessionError.batchHasName(options.name, directory) }
        let alive = QueueSnapshot.read(record.queue).workers.filter(\.alive).compactMap(\.pid)
        guard alive.isEmpty else { throw SessionError.stillRunning(name: record.name, pids: alive) }
        record.workers = max(record.workers, options.workers)
        record.worktrees = record.worktrees || options.worktrees
        record.agent = options.agent
        try options.store.save(record)
        try record.queue.create()
        return record
    }

    private func startSession(_ record: BatchRecord, repo: BatchRepository, workerDirectories: [String]) throws {
        let name = record.name
        let queue = record.queue.path
        let greeting = "conductor session \(name): \(record.workers) worker(s) on the queue \(queue). "
            + "Hand them work with: conductor submit --wait --prompt 'TEXT' (or a tasks file); conductor status shows them. "
            + "Or start Claude Code with them as tools: \(MCPConfig.claudeCommand(for: record))"
        let shell = "printf '%s\\n' \(Tmux.quote(greeting)); exec \"${SHELL:-/bin/sh}\""
        try tmux.run(["new-session", "-d", "-s", name, "-n", "conductor", "-x", "220", "-y", "60", "-c", repo.path,
                      "-e", "CONDUCTOR_HOME=\(queue)", "-e", "CONDUCTOR_SESSION=\(name)", "-e", "CONDUCTOR_DIR=\(Path.parent(record.directory))", shell])
        do {
            try tmux.run(["set-option", "-t", "=\(name):", Tmux.recordOption, record.directory])
            try tmux.run(["set-option", "-w", "-t", "\(name):conductor", "remain-on-exit", "on"])
            for (worker, directory) in workerDirectories.enumerated() {
                let command = ([options.executable, "worker", String(worker), directory, "--queue", queue] + record.agent.workerArguments)
                    .map(Tmux.quote).joined(separator: " ")
                try tmux.run(["split-window", "-t", "\(name):conductor", "-c", directory, "-e", "CONDUCTOR_HOME=\(queue)", "exec " + command])
                try tmux.run(["select-layout", "-t", "\(name):conductor", "main-vertical"])
            }
            try tmux.run(["select-pane", "-t", "\(name):conductor.0"])
        } catch {
            _ = try? tmux.run(["kill-session", "-t", "=\(name)"])
            throw error
        }
    }
}
