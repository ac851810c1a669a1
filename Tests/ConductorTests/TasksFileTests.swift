import Conductor
import Foundation
import Testing

@Suite(.timeLimit(.minutes(3))) struct TasksFileTests {
    /// Every problem `TasksFile.parse` finds in `json`, none when it reads.
    static func problems(_ json: String) -> [String] {
        do {
            _ = try TasksFile.parse(Data(json.utf8), path: "tasks.json")
            return []
        } catch let error as TasksFileError {
            return error.problems
        } catch {
            return ["unexpected \(error)"]
        }
    }

    @Test func readsAnObjectWithSettings() throws {
        let file = try TasksFile.parse(Data("""
        {"repo": ".", "base": "main", "workers": 3, "agent": "claude", "setup": "npm ci",
         "tasks": [{"id": "auth", "prompt": "Review auth.py"}, {"command": "swift test", "timeout": 900, "stopOnError": true, "repo": "../web"}]}
        """.utf8), path: "tasks.json")
        #expect(file.workers == 3)
        #expect(file.base == "main")
        #expect(file.setup == "npm ci")
        #expect(file.tasks == [
            .prompt("Review auth.py", id: "auth"),
            TaskSpec(id: "task-2", kind: .command("swift test"), repo: "../web", timeout: 900, stopOnError: true),
        ])
    }

    @Test func readsTheSeedsBareArray() throws {
        let file = try TasksFile.parse(Data(#"[{"prompt": "a"}, {"prompt": "b"}]"#.utf8), path: "t.json")
        #expect(file.tasks.map(\.id) == ["task-1", "task-2"])
    }

    /// Each malformed file, and a fragment the one-line message must contain.
    static let malformed: [(String, String)] = [
        ("", "is empty"),
        ("{\"tasks\": [", "is not valid JSON"),
        ("\u{0}\u{1}\u{2}garbage", "is not valid JSON"),
        ("42", "must be a JSON object"),
        ("{}", "missing field \"tasks\""),
        ("{\"tasks\": {}}", "field \"tasks\" must be an array"),
        ("{\"tasks\": []}", "\"tasks\" is empty"),
        ("{\"tasks\": [{\"prompt\": \"x\"}], \"wokers\": 3}", "unknown field \"wokers\""),
        ("[{\"prompt\": \"x\", \"tiemout\": 3}]", "task 1: unknown field \"tiemout\""),
        ("[{\"prompt\": 5}]", "field \"prompt\" must be a string, got number 5"),
        ("[{\"prompt\": \"   \"}]", "field \"prompt\" is empty"),
        ("[{\"id\": \"a\"}]", "needs a \"prompt\""),
        ("[{\"prompt\": \"x\", \"command\": \"y\"}]", "has both \"prompt\" and \"command\""),
        ("[{\"id\": \"a\", \"prompt\": \"x\"}, {\"id\": \"a\", \"prompt\": \"y\"}]", "id \"a\" is already used by task 1"),
        ("[{\"id\": \"../etc\", \"prompt\": \"x\"}]", "field \"id\" must be a string of letters"),
        ("[{\"id\": \"a b\", \"prompt\": \"x\"}]", "field \"id\" must be a string of letters"),
        ("[{\"id\": \"x.lock\", \"prompt\": \"x\"}]", "field \"id\""),
        ("[{\"id\": 7, \"prompt\": \"x\"}]", "got number 7"),
        ("[{\"prompt\": \"x\", \"timeout\": -1}]", "field \"timeout\" must be a number of seconds greater than 0"),
        ("[{\"prompt\": \"x\", \"timeout\": \"10\"}]", "got string \"10\""),
        ("[{\"prompt\": \"x\", \"stopOnError\": \"yes\"}]", "field \"stopOnError\" must be true or false"),
        ("{\"workers\": 0, \"tasks\": [{\"prompt\": \"x\"}]}", "field \"workers\" must be a whole number"),
        ("{\"workers\": 2.5, \"tasks\": [{\"prompt\": \"x\"}]}", "field \"workers\" must be a whole number"),
        ("[\"just a string\"]", "task 1 must be an object"),
        ("{\"repo\": 3, \"tasks\": [{\"prompt\": \"x\"}]}", "\"repo\" must be a string"),
    ]

    @Test(arguments: malformed)
    func malformedFilesNameTheProblem(json: String, expected: String) {
        let found = Self.problems(json)
        #expect(!found.isEmpty, "accepted: \(json)")
        #expect(found.contains { $0.contains(expected) }, "\(found) lacks \(expected)")
    }

    @Test func everyProblemIsReportedAtOnce() {
        let found = Self.problems(#"{"tasks": [{"prompt": 1}, {"command": "x", "bogus": true}, {}], "extra": 1}"#)
        #expect(found.count == 4)
    }

    @Test func errorLinesNameTheFile() {
        let error = TasksFileError(path: "/tmp/t.json", problems: ["task 2: field \"prompt\" is empty"])
        #expect(error.description == "/tmp/t.json: task 2: field \"prompt\" is empty")
    }

    @Test func loadRefusesMissingAndOversizedFiles() throws {
        #expect(throws: TasksFileError.self) { try TasksFile.load("/nonexistent/tasks.json") }
        #expect(throws: TasksFileError.self) { try TasksFile.load("/tmp") }
        let huge = Data(repeating: UInt8(ascii: " "), count: TasksFile.maximumSize + 1)
        #expect(throws: TasksFileError.self) { try TasksFile.parse(huge, path: "huge.json") }
    }
}
