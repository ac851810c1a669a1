import Conductor
import Foundation
import Testing
import TestSupport

/// Tasks handed to the library are checked as a tasks file's are: a task with neither a prompt
/// nor a command (or both) is refused up front, naming it, instead of running the agent with an
/// empty prompt.
@Suite(.timeLimit(.minutes(2))) struct LibraryTaskValidationTests {
    @Test func aTaskWithNeitherPromptNorCommandIsRefusedBeforeAnythingRuns() throws {
        let fixture = try QueueFixture()
        try fixture.startWorker(0)
        let orchestrator = try Orchestrator(workers: 1, queue: fixture.root)
        let neither = TaskSpec(id: "empty")
        let both = TaskSpec(id: "twice", prompt: "review", command: "true")
        #expect {
            try orchestrator.executeTasks([.command("true", id: "fine"), neither])
        } throws: { error in
            "\(error)" == #"task empty needs a "prompt" (for the agent) or a "command" (for the shell); nothing was run"#
        }
        #expect {
            try orchestrator.executeSequential([both])
        } throws: { error in
            "\(error)" == #"task twice has both "prompt" and "command"; give exactly one; nothing was run"#
        }
        #expect((try? fixture.root.slot(0).readResult()) ?? nil == nil, "nothing ran")
    }
}
