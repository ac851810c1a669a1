import Conductor
import Foundation
import Testing

/// A task handed to the library is a prompt or a command by its type (`TaskSpec.Kind`), so one
/// with neither or both cannot be built in Swift. Read from JSON, as a program reads its tasks,
/// such a task is refused with the tasks-file checker's words, naming it, instead of running the
/// agent with an empty prompt.
@Suite(.timeLimit(.minutes(3))) struct LibraryTaskValidationTests {
    /// The message of the error decoding `json` as tasks throws, and the index of the task it is about.
    private func refusal(_ json: String) -> (message: String, index: Int?)? {
        do {
            _ = try JSONDecoder().decode([TaskSpec].self, from: Data(json.utf8))
            return nil
        } catch DecodingError.dataCorrupted(let context) {
            return (context.debugDescription, context.codingPath.last?.intValue)
        } catch {
            return ("unexpected \(error)", nil)
        }
    }

    @Test func aJSONTaskWithNeitherPromptNorCommandIsRefused() throws {
        let refused = try #require(refusal(#"[{"id": "fine", "command": "true"}, {"id": "empty"}]"#))
        #expect(refused.message == #"task "empty" needs a "prompt" (for the agent) or a "command" (for the shell)"#)
        #expect(refused.index == 1)
    }

    @Test func aJSONTaskWithBothIsRefused() throws {
        let refused = try #require(refusal(#"[{"id": "twice", "prompt": "review", "command": "true"}]"#))
        #expect(refused.message == #"task "twice" has both "prompt" and "command"; give exactly one"#)
        #expect(refused.index == 0)
    }
}
