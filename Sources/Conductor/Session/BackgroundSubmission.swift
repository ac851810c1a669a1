import FoundationEssentials
import FoundationShims
import Queue

/// A submission running in the background: what `conductor submit` without `--wait` and the MCP
/// `submit` tool without `wait` start, and what `conductor mcp`'s `results` tool reads back.
///
/// The protocol is three files in `<queue>/submissions/`, named for the submission's id:
/// `<id>.tasks.json` holds the tasks (`Submission.startInBackground` writes it, then starts
/// `conductor submit --wait --json` on it as a detached process); `<id>.json` is that process's
/// standard output, empty while it runs, then its `RunReport`, or `{"error": "…"}` when the run
/// could not go ahead; `<id>.log` is its standard error.
package struct BackgroundSubmission: Sendable, Encodable {
    /// The submission's id: `s<milliseconds>-<pid of the submitter>`.
    package let id: String
    /// The queue whose workers run it.
    package let queue: QueueRoot
    /// The ids of its tasks, in order.
    package let taskIDs: [String]

    /// Where background submissions of `queue` keep their files: `<queue>/submissions`.
    package static func folder(_ queue: QueueRoot) -> String {
        "\(queue.path)/submissions"
    }

    /// The tasks, as the submitter wrote them.
    package var tasksFile: String { stem + ".tasks.json" }
    /// The run's report once it has ended (its standard output).
    package var resultsFile: String { stem + ".json" }
    /// The run's standard error.
    package var logFile: String { stem + ".log" }
    /// The files' common path, without an extension.
    var stem: String { "\(Self.folder(queue))/\(id)" }

    init(id: String, queue: QueueRoot, taskIDs: [String]) {
        self.id = id
        self.queue = queue
        self.taskIDs = taskIDs
    }

    /// The submission `id` of `queue`, or nil when it has none by that id (an id that is not a
    /// single file name never names one).
    package init?(id: String, on queue: QueueRoot) {
        guard Path.name(id) == id, id != "..", id != "." else { return nil }
        let probe = BackgroundSubmission(id: id, queue: queue, taskIDs: [])
        guard let tasks = try? AtomicFile.readJSON([TaskSpec].self, from: probe.tasksFile) else { return nil }
        self.init(id: id, queue: queue, taskIDs: tasks.map(\.id))
    }

    /// Where a submission is.
    package enum State: Sendable {
        /// Its tasks are still going (ids in order).
        case running(tasks: [String])
        /// It has ended with this report.
        case finished(RunReport)
        /// It could not run: the run's own error, else where its log is.
        case failed(String)
    }

    /// The submission's state, from its results file.
    package func state() -> State {
        guard let output = (try? AtomicFile.read(resultsFile)) ?? nil, !output.isEmpty else { return .running(tasks: taskIDs) }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        if let report = try? decoder.decode(RunReport.self, from: output) { return .finished(report) }
        return .failed((try? JSONDecoder().decode(JSONValue.self, from: output))?["error"]?.string ?? "see \(logFile)")
    }

    private enum CodingKeys: String, CodingKey {
        case id = "submission", results, tasks
    }

    /// `{"submission": id, "results": resultsFile, "tasks": [ids]}`, as `submit --json` prints it.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(resultsFile, forKey: .results)
        try container.encode(taskIDs, forKey: .tasks)
    }
}
