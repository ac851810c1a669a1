/// Walks a decoded tasks file, collecting every problem rather than stopping at the first.
struct TasksFileChecker {
    let path: String
    var problems: [String] = []

    private static let fileFields = ["repo", "base", "workers", "agent", "setup", "tasks"]
    private static let taskFields = ["id", "prompt", "command", "repo", "cwd", "timeout", "stopOnError", "agent"]

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

    private mutating func check(task value: JSONValue, number: Int) -> TaskSpec? {
        guard case .object(let fields) = value else {
            problems.append("task \(number) must be an object like {\"prompt\": \"…\"} or {\"command\": \"…\"}, got \(value.described)")
            return nil
        }
        let before = problems.count
        var label = "task \(number)"
        let id: String
        if let given = fields["id"] {
            if case .string(let text) = given, TaskSpec.isUsableID(text) {
                id = text
                label = "task \(number) (id \"\(text)\")"
            } else {
                problems.append("task \(number): field \"id\" must be a string of letters, digits, '.', '_' or '-' (starting with a letter or digit, at most 64 characters, no '..'), got \(given.described)")
                id = "task-\(number)"
            }
        } else {
            id = "task-\(number)"
        }
        for key in fields.keys.sorted() where !Self.taskFields.contains(key) {
            problems.append("\(label): unknown field \"\(key)\" (known: \(Self.taskFields.joined(separator: ", ")))")
        }
        let prompt = string(fields["prompt"], "\(label): field \"prompt\"", nonEmpty: true)
        let command = string(fields["command"], "\(label): field \"command\"", nonEmpty: true)
        if let problem = TaskSpec.kindProblem(hasPrompt: fields["prompt"] != nil, hasCommand: fields["command"] != nil) {
            problems.append("\(label): \(problem)")
        }
        var timeout: Double?
        if let value = fields["timeout"] {
            if case .number(let seconds) = value, seconds > 0, seconds.isFinite {
                timeout = seconds
            } else {
                problems.append("\(label): field \"timeout\" must be a number of seconds greater than 0, got \(value.described)")
            }
        }
        var stopOnError: Bool?
        if let value = fields["stopOnError"] {
            if case .bool(let flag) = value { stopOnError = flag } else {
                problems.append("\(label): field \"stopOnError\" must be true or false, got \(value.described)")
            }
        }
        let task = TaskSpec(
            id: id, prompt: prompt, command: command,
            repo: string(fields["repo"], "\(label): field \"repo\"", nonEmpty: true),
            cwd: string(fields["cwd"], "\(label): field \"cwd\"", nonEmpty: true),
            timeout: timeout, stopOnError: stopOnError,
            agent: string(fields["agent"], "\(label): field \"agent\"", nonEmpty: true))
        return problems.count == before ? task : nil
    }

    private mutating func string(_ value: JSONValue?, _ what: String, nonEmpty: Bool = false) -> String? {
        guard let value else { return nil }
        guard case .string(let text) = value else {
            problems.append("\(what) must be a string, got \(value.described)")
            return nil
        }
        if nonEmpty && text.trimmed.isEmpty {
            problems.append("\(what) is empty")
            return nil
        }
        if text.contains("\u{0}") {
            problems.append("\(what) contains a NUL character")
            return nil
        }
        return text
    }
}
