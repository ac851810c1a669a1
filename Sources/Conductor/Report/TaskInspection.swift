import FoundationEssentials
import FoundationShims
import Queue

/// One task as `conductor show` presents it: its report entry (status, answer, commits, files),
/// what it was asked, its logs, and the unified patch of its own commits.
public struct TaskInspection: Encodable, Sendable {
    public var batch: String
    public var entry: MergeReport.TaskEntry
    public var prompt: String?
    public var command: String?
    /// The worker branch its commits went to.
    public var branch: String?
    /// Its worker's label (`w1`, or a remote batch's worker name; see `WorkerNaming`).
    public var workerLabel: String?
    public var stdoutLog: String?
    public var stderrLog: String?
    /// What its worker noticed and put right, or could not (HEAD moved, output not kept, …).
    public var warnings: [String]?
    /// The patch of its commits, from the parent of the first to the last (`git diff first^ last`);
    /// empty when it made none, nil when not asked for.
    public var patch: String?

    /// Reads task `id` of `batch` from its results and its repositories.
    ///
    /// - Parameter includePatch: also make the patch text.
    /// - Throws: `TaskInspectionError.unknownTask` when the batch has no such task, `GitError` when
    ///   a repository cannot be read.
    public static func load(_ batch: BatchRecord, task id: String, includePatch: Bool = true) throws -> TaskInspection {
        let results = try MergeReport.readResults(batch.resultsFile)
        let readings = try MergeReport.readTasks(of: batch, results: results, memo: ReportMemo(), patches: includePatch ? .only(id) : .none)
        guard let reading = readings.first(where: { $0.entry.id == id }) else {
            throw TaskInspectionError.unknownTask(id, batch: batch.name, known: readings.map(\.entry.id))
        }
        let entry = reading.entry
        let result = results.last { $0.task.id == id }
        var inspection = TaskInspection(
            batch: batch.name, entry: entry, prompt: result?.task.prompt, command: result?.task.command, branch: result?.result.branch,
            workerLabel: entry.worker.map(batch.workerLabel), stdoutLog: result?.result.stdoutLog, stderrLog: result?.result.stderrLog,
            warnings: result?.result.warnings)
        if result == nil, let task = (try? TasksFile.load(batch.tasksCopy))?.tasks.first(where: { $0.id == id }) {
            inspection.prompt = task.prompt
            inspection.command = task.command
        }
        inspection.patch = reading.patch
        return inspection
    }

    /// The unified patch of `entry`'s commits in `repository` (the batch's repository that holds them).
    static func patch(of entry: MergeReport.TaskEntry, in repository: Repository) throws -> String {
        guard let first = entry.commits.first, let last = entry.commits.last else { return "" }
        return try repository.diff(ofCommits: ObjectID(hex: first), through: ObjectID(hex: last), includePatch: true).patch ?? ""
    }

    /// The text `conductor show` prints above the patch: what was asked, how it ended, where its
    /// commits and logs are, and the answer (indented, as `git show` indents a message).
    public func header() -> String {
        var lines = ["task \(entry.id) (\(entry.kind)) in batch \(batch)"]
        lines.append("status:  \(entry.status.rawValue)" + (entry.reason.map { " (\($0))" } ?? ""))
        if let workerLabel { lines.append("worker:  \(workerLabel)" + (branch.map { ", branch \($0)" } ?? "")) }
        if entry.attempts > 0 {
            var facts = [MergeReport.seconds(entry.durationMs), "\(entry.attempts) attempt(s)"]
            if let agent = entry.agent { facts.append("agent \(agent)") }
            if let cost = entry.costUsd, cost > 0 { facts.append("$" + Format.fixed(cost, 4)) }
            lines.append("ran:     " + facts.joined(separator: ", "))
        }
        lines.append("commits: " + (entry.commits.isEmpty ? "none (no changes)"
                                    : entry.commits.map { String($0.prefix(7)) }.joined(separator: " ") + (entry.repo.map { " in \($0)" } ?? "")))
        for (name, log) in [("stdout", stdoutLog), ("stderr", stderrLog)] {
            if let log { lines.append("\(name):  \(log)") }
        }
        lines += (warnings ?? []).map { "warning: \($0)" }
        lines += ["", prompt != nil ? "prompt:" : "command:"] + Self.indented(prompt ?? command ?? "")
        lines += ["", entry.kind == "prompt" ? "answer:" : "output:"] + Self.indented(entry.answer.isEmpty ? "(none)" : entry.answer)
        return lines.joined(separator: "\n") + "\n"
    }

    private static func indented(_ text: String) -> [String] {
        let trimmed = text.hasSuffix("\n") ? String(text.dropLast()) : text
        return trimmed.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : "    " + $0 }
    }

    private enum ExtraKeys: String, CodingKey {
        case batch, prompt, command, branch, stdoutLog, stderrLog, warnings, patch
    }

    /// The entry's fields, and beside them the batch, prompt or command, branch, logs, warnings and patch.
    public func encode(to encoder: Encoder) throws {
        try entry.encode(to: encoder)
        var container = encoder.container(keyedBy: ExtraKeys.self)
        try container.encode(batch, forKey: .batch)
        try container.encodeIfPresent(prompt, forKey: .prompt)
        try container.encodeIfPresent(command, forKey: .command)
        try container.encodeIfPresent(branch, forKey: .branch)
        try container.encodeIfPresent(stdoutLog, forKey: .stdoutLog)
        try container.encodeIfPresent(stderrLog, forKey: .stderrLog)
        try container.encodeIfPresent(warnings, forKey: .warnings)
        try container.encodeIfPresent(patch, forKey: .patch)
    }
}

/// A task `conductor show` or `conductor diff` cannot find, worded with the way out.
public enum TaskInspectionError: Error, CustomStringConvertible, Equatable {
    case unknownTask(String, batch: String, known: [String])
    /// Neither a worker nor a task of the batch; `workers` lists its workers (`BatchRecord.describedWorkers`).
    case unknownTarget(String, batch: String, workers: String, known: [String])

    public var description: String {
        switch self {
        case .unknownTask(let id, let batch, let known):
            return "batch \(batch) has no task '\(id)' (\(Self.listing(known))); `conductor report -n \(batch)` lists every task"
        case .unknownTarget(let name, let batch, let workers, let known):
            return "batch \(batch) has no worker or task '\(name)' (workers: \(workers); \(Self.listing(known)))"
        }
    }

    private static func listing(_ known: [String]) -> String {
        known.isEmpty ? "it has no tasks" : "tasks: " + known.prefix(8).joined(separator: ", ") + (known.count > 8 ? ", …" : "")
    }
}
