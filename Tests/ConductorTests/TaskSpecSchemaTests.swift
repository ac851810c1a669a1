@testable import Conductor
import Foundation
import Queue
import Testing

/// A task's JSON has one schema: the decoder (results, background submissions) and the tasks-file
/// checker read the same fields, and both refuse a task that is neither or both a prompt and a
/// command with the same words.
@Suite(.timeLimit(.minutes(3))) struct TaskSpecSchemaTests {
    private func json(_ task: TaskSpec) throws -> String {
        String(decoding: try QueueJSON.encoder.encode(task), as: UTF8.self)
    }

    private func decode(_ text: String) throws -> TaskSpec {
        try QueueJSON.decoder.decode(TaskSpec.self, from: Data(text.utf8))
    }

    /// The words of a DecodingError thrown while decoding `text`, or nil when it decoded.
    private func decodingProblem(_ text: String) -> String? {
        do {
            _ = try decode(text)
            return nil
        } catch DecodingError.dataCorrupted(let context) {
            return context.debugDescription
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func bothKindsKeepTheirExactKeys() throws {
        #expect(try json(.prompt("Review auth.py", id: "auth")) == #"{"id":"auth","prompt":"Review auth.py"}"#)
        #expect(try json(.command("swift test", id: "t2")) == #"{"command":"swift test","id":"t2"}"#)
        let full = #"{"agent":"codex","command":"make","cwd":"sub","id":"t3","repo":"../web","stopOnError":true,"timeout":900}"#
        #expect(try json(decode(full)) == full)
        #expect(try decode(#"{"id":"auth","prompt":"Review auth.py"}"#) == .prompt("Review auth.py", id: "auth"))
    }

    @Test func aTaskWithNeitherIsRefusedWithTheCheckersWords() throws {
        let words = #"needs a "prompt" (for the agent) or a "command" (for the shell)"#
        #expect(decodingProblem(#"{"id":"empty"}"#) == #"task "empty" "# + words)
        #expect(TasksFileTests.problems(#"[{"id":"empty"}]"#) == [#"task 1 (id "empty"): "# + words])
    }

    @Test func aTaskWithBothIsRefusedWithTheCheckersWords() throws {
        let words = #"has both "prompt" and "command"; give exactly one"#
        #expect(decodingProblem(#"{"id":"twice","prompt":"review","command":"true"}"#) == #"task "twice" "# + words)
        #expect(TasksFileTests.problems(#"[{"id":"twice","prompt":"review","command":"true"}]"#) == [#"task 1 (id "twice"): "# + words])
    }

    /// The encoder writes only the table's fields, and the tasks-file checker checks every one of
    /// them and knows no other: a value of the wrong type is named, field by field.
    @Test func theCheckerAndTheCodingShareOneFieldTable() throws {
        let table = TaskSpec.Field.allCases.map(\.rawValue)
        for kind in [TaskSpec.Kind.prompt("p"), .command("c")] {
            let full = TaskSpec(id: "t3", kind: kind, repo: "../web", cwd: "sub", timeout: 900, stopOnError: true, agent: "codex")
            let written = try #require(try JSONSerialization.jsonObject(with: QueueJSON.encoder.encode(full)) as? [String: Any]).keys
            #expect(Set(written).isSubset(of: table))
            #expect(written.count == table.count - 1)
        }
        for field in table {
            var task: [String: Any] = ["id": "t3", "prompt": "p"]
            task[field] = [1]
            let problems = TasksFileTests.problems(String(decoding: try JSONSerialization.data(withJSONObject: [task]), as: UTF8.self))
            #expect(problems.contains { $0.contains(#"field "\#(field)" must be"#) }, "\(field): \(problems)")
        }
        #expect(TasksFileTests.problems(#"[{"prompt": "p", "bogus": 1}]"#) == [#"task 1: unknown field "bogus" (known: "# + table.joined(separator: ", ") + ")"])
    }
}
