import FoundationEssentials
import Queue

/// Walks a decoded tasks file, collecting every problem rather than stopping at the first.
struct TasksFileChecker {
    let path: String
    var problems: [String] = []

    private typealias Field = TaskSpec.Field
    private static let fileFields = ["repo", "base", "workers", "agent", "setup", "tasks"]

    init(path: String) {
        self.path = path
    }

    mutating func check(_ root: JSONValue) -> TasksFile? {
        var file = TasksFile(path: path, tasks: [])
        let taskValues: [JSONValue]
        switch root {
        case .array(let values):
            taskValues = values
        case .object(let fields):
            for key in fields.keys.sorted() where !Self.fileFields.contains(key) {
                problems.append("unknown field \"\(key)\" at the top level (known: \(Self.fileFields.joined(separator: ", ")))")
            }
            file.repo = string(fields["repo"], "\"repo\"")
            file.base = string(fields["base"], "\"base\"")
            file.agent = string(fields["agent"], "\"agent\"")
            file.setup = string(fields["setup"], "\"setup\"")
            if let value = fields["workers"] {
                if case .number(let count) = value, count == count.rounded(), count >= 1, count <= 256 {
                    file.workers = Int(count)
                } else {
                    problems.append("field \"workers\" must be a whole number from 1 to 256, got \(value.described)")
                }
            }
            guard let tasks = fields["tasks"] else {
                problems.append("missing field \"tasks\": the list of tasks, e.g. \"tasks\": [{\"prompt\": \"…\"}]")
                return nil
            }
            guard case .array(let values) = tasks else {
                problems.append("field \"tasks\" must be an array of tasks, got \(tasks.described)")
                return nil
            }
            taskValues = values
        default:
            problems.append("must be a JSON object with a \"tasks\" array (or an array of tasks), got \(root.described)")
            return nil
        }
        if taskValues.isEmpty {
            problems.append("\"tasks\" is empty: there is nothing to run")
        }
        var seen: [String: Int] = [:]
        for (index, value) in taskValues.enumerated() {
            guard let task = check(task: value, number: index + 1) else { continue }
            if let first = seen[task.id] {
                problems.append("task \(index + 1): id \"\(task.id)\" is already used by task \(first); ids must be unique")
            } else {
                seen[task.id] = index + 1
            }
            file.tasks.append(task)
        }
        return file
    }

    /// Checks one task field by field against `TaskSpec.Field`'s table, then decodes it with
    /// `TaskSpec`'s own decoder, so the checker and the decoder read one schema.
    private mutating func check(task value: JSONValue, number: Int) -> TaskSpec? {
        guard case .object(var fields) = value else {
            problems.append("task \(number) must be an object like {\"prompt\": \"…\"} or {\"command\": \"…\"}, got \(value.described)")
            return nil
        }
        let before = problems.count
        var label = "task \(number)"
        for field in Field.allCases {
            guard let value = fields[field.rawValue] else { continue }
            if let problem = field.value.problem(with: value) {
                problems.append("\(label): field \"\(field.rawValue)\" \(problem)")
            } else if field == .id, let id = value.string {
                label = "task \(number) (id \"\(id)\")"
            }
        }
        let known = Field.allCases.map(\.rawValue)
        for key in fields.keys.sorted() where !known.contains(key) {
            problems.append("\(label): unknown field \"\(key)\" (known: \(known.joined(separator: ", ")))")
        }
        // A field of the wrong type still counts as given; its type is reported above.
        if let problem = TaskSpec.KindError(givesPrompt: fields[Field.prompt.rawValue] != nil, givesCommand: fields[Field.command.rawValue] != nil) {
            problems.append("\(label): \(problem)")
        }
        guard problems.count == before else { return nil }
        if fields[Field.id.rawValue] == nil { fields[Field.id.rawValue] = .string("task-\(number)") }
        do {
            return try QueueJSON.decoder.decode(TaskSpec.self, from: QueueJSON.encoder.encode(JSONValue.object(fields)))
        } catch {
            problems.append("\(label): \(error)")
            return nil
        }
    }

    private mutating func string(_ value: JSONValue?, _ what: String) -> String? {
        guard let value else { return nil }
        if let problem = TaskSpec.FieldValue.string.problem(with: value) {
            problems.append("\(what) \(problem)")
            return nil
        }
        return value.string
    }
}
