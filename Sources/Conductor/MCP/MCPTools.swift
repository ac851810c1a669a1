import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import FoundationShims
import Queue
import Synchronization

/// What `conductor mcp` offers an agent: submit, status, results, report, show and merge on one
/// queue (a session's, or a bare one). A tool that fails answers with `isError` and the message
/// the CLI would print.
package struct MCPTools: Sendable {
    /// The queue the tools work on; report, show and merge need it to belong to a batch or session.
    package let queue: QueueRoot

    package init(queue: QueueRoot) {
        self.queue = queue
    }

    static let names = ["submit", "status", "results", "report", "show", "merge"]

    /// What the server tells the client at `initialize`, for the agent's system prompt.
    static let instructions = """
        conductor runs tasks (prompts for a coding agent, or shell commands) on worker processes, each in its own \
        git worktree and branch. Hand out work with submit (wait: true to get the results back), watch the workers \
        with status, read a task's answer and diff with show, the whole session's per-branch and per-task report \
        with report, and build the integration branch with merge.
        """

    /// The tools' names, descriptions and JSON input schemas, as `tools/list` returns them.
    static let definitions: [JSONValue] = {
        let json = #"""
        [
          {"name": "submit",
           "description": "Hand tasks to the session's running workers. Each task is a prompt for a coding agent (which edits the code in its worker's git worktree; its changes are committed to the worker's branch) or a shell command. Tasks run in parallel, one per free worker, unless sequential. With wait: true the call returns when every task has ended, with each task's status, answer (the agent's final message, or the command's output), files changed, cost and commits; progress notifications report each task starting and ending. Without wait it returns a submission id at once: read the results later with the results tool. Give each task a short id (letters, digits, '.', '_', '-') to refer to it in show and merge.",
           "inputSchema": {"type": "object", "required": ["tasks"], "additionalProperties": false, "properties": {
             "tasks": {"type": "array", "minItems": 1, "description": "The tasks, each with exactly one of prompt or command.", "items": {
               "type": "object", "properties": {
                 "id": {"type": "string", "description": "A unique id (default: generated)."},
                 "prompt": {"type": "string", "description": "What the agent should do, as you would tell a colleague: the goal, the files, how to check it."},
                 "command": {"type": "string", "description": "A shell command run in the worker's worktree (e.g. 'swift test')."},
                 "timeout": {"type": "number", "description": "Seconds the task may run."}}}},
             "wait": {"type": "boolean", "description": "Wait for the results (default false: return a submission id)."},
             "sequential": {"type": "boolean", "description": "Run the tasks in order, one at a time (default false)."}}}},
          {"name": "status",
           "description": "The workers of the session and what each is doing now: its state (idle, working), the task it runs, what its agent is doing at this moment (tool and target, turn, cost so far) under activity, whether its process lives, and its last result.",
           "inputSchema": {"type": "object", "additionalProperties": false, "properties": {}}},
          {"name": "results",
           "description": "The results of a submission made without wait, by the submission id submit returned: each task's status, answer or output, files changed and cost; or running: true while its tasks are still going.",
           "inputSchema": {"type": "object", "required": ["submission"], "additionalProperties": false, "properties": {
             "submission": {"type": "string", "description": "The id submit returned."}}}},
          {"name": "report",
           "description": "The session's merge report, in Markdown: per worker branch the commits, files changed, whether it merges cleanly into the base and which branches conflict (and in which files), a suggested merge order; per task its status, answer, files and which other tasks it conflicts with; totals of time and cost. Read it before merging.",
           "inputSchema": {"type": "object", "additionalProperties": false, "properties": {}}},
          {"name": "show",
           "description": "One task in full: what it was asked, how it ended, its answer (or output), its commits and the unified diff of what it changed.",
           "inputSchema": {"type": "object", "required": ["task"], "additionalProperties": false, "properties": {
             "task": {"type": "string", "description": "The task's id."},
             "patch": {"type": "boolean", "description": "Include the diff (default true)."}}}},
          {"name": "merge",
           "description": "Build the session's integration branch conductor/NAME/merged from the base, task by task: each task whose commits apply cleanly onto what was taken so far becomes one commit; a task that conflicts is left out, with the files and the tasks it conflicts with. Nothing but that branch moves (no checkout is touched); it is rebuilt from scratch each time. Returns what was taken and what was left out and why.",
           "inputSchema": {"type": "object", "additionalProperties": false, "properties": {
             "tasks": {"type": "array", "items": {"type": "string"}, "description": "Take only these tasks (default: every task that finished done)."},
             "includeFailed": {"type": "boolean", "description": "Also take tasks that did not finish done (their partial commits)."},
             "force": {"type": "boolean", "description": "Rebuild the branch even over commits merge did not make."}}}}
        ]
        """#
        return (try? JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)))?.array ?? []
    }()

    /// Runs tool `name`: its result, or, when it fails, a result with `isError` and the message.
    func call(_ name: String, arguments: JSONValue, call: MCPToolCall) -> JSONValue {
        do {
            guard let fields = arguments.object else { throw MCPArgumentError("\(name): the arguments must be a JSON object, got \(arguments.described)") }
            let answer: MCPAnswer
            switch name {
            case "submit": answer = try submit(fields, call: call)
            case "status": answer = .json(try JSONValue(encoding: QueueSnapshot.read(queue)))
            case "results": answer = try results(fields)
            case "report": answer = try report()
            case "show": answer = try show(fields)
            default: answer = try merge(fields)
            }
            return answer.result
        } catch {
            MCPLog.error("conductor mcp: the \(name) tool failed: \(error)")
            return MCPAnswer.text("\(error)").result(isError: true)
        }
    }

    private func submit(_ arguments: [String: JSONValue], call: MCPToolCall) throws -> MCPAnswer {
        guard let given = arguments["tasks"], let values = given.array else {
            throw MCPArgumentError("submit: \"tasks\" must be an array of tasks like {\"prompt\": \"…\"} or {\"command\": \"…\"}, got \(arguments["tasks"]?.described ?? "nothing")")
        }
        let wait = try flag("wait", in: arguments, of: "submit")
        let sequential = try flag("sequential", in: arguments, of: "submit")
        // Tasks without an id get one unique to this submission, so a session's results.jsonl keeps them apart.
        let stem = Submission.newTaskID()
        let named = values.enumerated().map { index, value -> JSONValue in
            guard var fields = value.object, fields["id"] == nil else { return value }
            fields["id"] = .string("\(stem)-\(index + 1)")
            return .object(fields)
        }
        let tasks = try TasksFile.parse(JSONValue.object(["tasks": .array(named)]).line(), path: "submit's tasks").tasks
        guard wait else { return .json(try JSONValue(encoding: Submission.startInBackground(tasks, on: queue, sequential: sequential, timeout: nil))) }
        var options = OrchestratorOptions()
        let progress = MCPRunProgress(total: tasks.count, call: call)
        options.events = { progress.handle($0) }
        let ids = tasks.map(\.id)
        let cancellation = CancellationFlag()
        call.whenCancelled { [queue] in
            cancellation.raise()
            Self.endRunningTasks(ids, on: queue)
        }
        let report = try Submission.wait(for: tasks, on: queue, options: options, sequential: sequential, cancellation: cancellation,
                                         warning: { MCPLog.error("conductor mcp: warning: \($0)") })
        return .json(.object(["summary": try JSONValue(encoding: report.summary), "results": try replies(report.results)]))
    }

    private func results(_ arguments: [String: JSONValue]) throws -> MCPAnswer {
        let id = try string("submission", in: arguments, of: "results")
        guard let submission = BackgroundSubmission(id: id, on: queue) else {
            throw MCPArgumentError("results: there is no submission '\(id)' on the queue \(queue.path) (submit without wait returns the id; submissions are kept in \(BackgroundSubmission.folder(queue)))")
        }
        switch submission.state() {
        case .running(let tasks):
            return .json(.object(["submission": .string(id), "running": .bool(true), "tasks": .array(tasks.map(JSONValue.string))]))
        case .failed(let message):
            throw MCPArgumentError("results: submission '\(id)' did not run: \(message)")
        case .finished(let report):
            return .json(.object(["submission": .string(id), "summary": try JSONValue(encoding: report.summary), "results": try replies(report.results)]))
        }
    }

    private func report() throws -> MCPAnswer {
        let batch = try record(for: "report")
        let report = try MergeReport.build(for: batch, results: try MergeReport.readResults(batch.resultsFile))
        try report.save(for: batch)
        return .text(report.markdown())
    }

    private func show(_ arguments: [String: JSONValue]) throws -> MCPAnswer {
        let task = try string("task", in: arguments, of: "show")
        let patch = try flag("patch", in: arguments, of: "show", default: true)
        let inspection = try TaskInspection.load(try record(for: "show"), task: task, includePatch: patch)
        return .text(inspection.header() + (inspection.patch.map { $0.isEmpty ? "" : "\n" + $0 } ?? ""))
    }

    private func merge(_ arguments: [String: JSONValue]) throws -> MCPAnswer {
        let batch = try record(for: "merge")
        let chosen = try arguments["tasks"].map { value in
            guard let ids = value.array?.compactMap(\.string), ids.count == value.array?.count else {
                throw MCPArgumentError("merge: \"tasks\" must be an array of task ids, got \(value.described)")
            }
            return ids
        }
        let results = try MergeReport.readResults(batch.resultsFile)
        if let unknown = chosen?.first(where: { id in !results.contains { $0.task.id == id } }) {
            throw MCPArgumentError("batch \(batch.name) has no task '\(unknown)' (its tasks: \(results.map(\.task.id).joined(separator: ", ")))")
        }
        let selection = TaskSelection(tasks: chosen, includeFailed: try flag("includeFailed", in: arguments, of: "merge"))
        let outcomes = try IntegrationMerge.run(for: batch, report: try MergeReport.build(for: batch, results: results, withPatches: false), results: results,
                                                mode: .tasks(selection), force: try flag("force", in: arguments, of: "merge"))
        return MCPAnswer(text: outcomes.map { $0.summary() }.joined(separator: "\n"), structured: .object(["outcomes": try JSONValue(encoding: outcomes)]))
    }

    /// Each result as the session's report has it (status, answer or output, files, cost,
    /// commits); on a bare queue, what the results themselves say.
    private func replies(_ results: [TaskResult]) throws -> JSONValue {
        if let batch = Submission.record(for: queue) {
            return try JSONValue(encoding: MergeReport.taskEntries(for: batch, results: results))
        }
        return .array(results.map { result in
            var fields: [String: JSONValue] = [
                "id": .string(result.task.id), "status": .string(result.result.status.rawValue), "answer": .string(result.result.output),
                "files": .array([]),
            ]
            fields["worker"] = result.worker.map { .number(Double($0)) }
            fields["reason"] = result.result.reason.map(JSONValue.string)
            fields["costUsd"] = result.result.agent?.costUsd.map(JSONValue.number)
            return .object(fields)
        })
    }

    /// The batch or session the queue belongs to.
    private func record(for tool: String) throws -> BatchRecord {
        guard let record = Submission.record(for: queue) else {
            throw MCPArgumentError("\(tool): the queue \(queue.path) belongs to no batch or session; start the server for one: conductor mcp -n NAME -d DIR")
        }
        return record
    }

    /// Ends the running tasks among `ids` (their process groups): the worker records each as failed and takes the next.
    private static func endRunningTasks(_ ids: [String], on queue: QueueRoot) {
        for slot in queue.existingSlots() {
            guard let status = try? slot.readStatus(), status.status == .working, let id = status.taskId, ids.contains(id),
                  let task = status.taskPid, let started = status.taskStartTime, ProcessInfo.startTime(of: task) == started else { continue }
            kill(-task, SIGTERM)
        }
    }

    private func flag(_ name: String, in arguments: [String: JSONValue], of tool: String, default value: Bool = false) throws -> Bool {
        guard let given = arguments[name] else { return value }
        guard let flag = given.bool else { throw MCPArgumentError("\(tool): \"\(name)\" must be true or false, got \(given.described)") }
        return flag
    }

    private func string(_ name: String, in arguments: [String: JSONValue], of tool: String) throws -> String {
        guard let text = arguments[name]?.string else {
            throw MCPArgumentError("\(tool): \"\(name)\" must be a string, got \(arguments[name]?.described ?? "nothing")")
        }
        return text
    }
}

/// A tool's answer: text for the agent, and the same as a JSON object when there is one.
struct MCPAnswer {
    var text: String
    var structured: JSONValue?

    static func text(_ text: String) -> MCPAnswer { MCPAnswer(text: text, structured: nil) }
    static func json(_ value: JSONValue) -> MCPAnswer { MCPAnswer(text: value.text(), structured: value) }

    var result: JSONValue { result(isError: false) }

    func result(isError: Bool) -> JSONValue {
        var fields: [String: JSONValue] = ["content": .array([.object(["type": .string("text"), "text": .string(text)])]), "isError": .bool(isError)]
        fields["structuredContent"] = structured
        return .object(fields)
    }
}

/// Arguments a tool cannot use, said as the CLI would say it.
struct MCPArgumentError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A waiting submit's progress notifications: one when a task starts (or its agent moves on),
/// one when it ends; the value counts the ended tasks and only ever grows.
private final class MCPRunProgress: Sendable {
    private let total: Int
    private let call: MCPToolCall
    /// Tasks ended, and steps reported since the last one ended; held while a notification is
    /// sent, so values go out in order.
    private let counts = Mutex<(ended: Int, sinceLastEnd: Int)>((0, 0))

    init(total: Int, call: MCPToolCall) {
        self.total = total
        self.call = call
    }

    func handle(_ event: OrchestratorEvent) {
        counts.withLock { counts in
            switch event {
            case .finished(_, let result):
                counts.ended += 1
                counts.sinceLastEnd = 0
                call.report(Double(counts.ended), of: Double(total), "\(result.task.id): \(result.result.status.rawValue)")
            case .assigned(_, let task, let worker, let attempt):
                step("\(task.id) started on worker \(worker)" + (attempt > 1 ? " (attempt \(attempt))" : ""), &counts)
            case .activity(_, let task, _, let activity):
                step("\(task.id): \(activity.described)", &counts)
            case .retrying(_, let task, let reason, _):
                step("\(task.id) will be retried: \(reason)", &counts)
            case .waitingForUsageLimit(let until, _):
                step("waiting for the usage limit to reset at \(Format.clockTime(until))", &counts)
            }
        }
    }

    /// Between two ended tasks the value climbs towards the next whole number without reaching it.
    private func step(_ message: String, _ counts: inout (ended: Int, sinceLastEnd: Int)) {
        counts.sinceLastEnd += 1
        call.report(Double(counts.ended) + 1 - 1 / Double(counts.sinceLastEnd + 1), of: Double(total), message)
    }
}
