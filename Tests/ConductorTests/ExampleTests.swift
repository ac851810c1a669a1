import Conductor
import Foundation
import Testing
import TestSupport

/// The seed's README examples, as Swift programs over the library, run for real.
@Suite(.timeLimit(.minutes(3))) struct ExampleTests {
    @Test func theParallelReviewExampleRunsThreeAgentsAndStopsThem() throws {
        let scratch = TemporaryDirectory()
        let repository = scratch.appending("repo")
        try run(["bash", Binaries.fixtures + "/make-repo.sh", repository])
        let result = try run(
            [Binaries.buildDirectory + "/example-parallel-review", repository],
            environment: ["CONDUCTOR_AGENT_CMD": Binaries.fakeClaudeCommand, "FAKE_CLAUDE_LOG": scratch.appending("agent.log"), "HOME": scratch.path])
        #expect(result.status == 0, "\(result.stderr)")
        for id in ["review-auth", "review-math", "review-readme"] {
            #expect(result.stdout.contains("\(id) [worker "), "\(result.stdout)")
        }
        #expect(result.stdout.components(separatedBy: ", done]: fake-claude read: Review").count == 4)
        let log = try String(contentsOfFile: scratch.appending("agent.log"), encoding: .utf8).split(separator: "\n")
        #expect(log.count == 3)
        #expect(log.allSatisfy { $0.split(separator: "\t")[1] == repository })
        #expect(Set(log.map { $0.split(separator: "\t")[0] }).count == 3)
    }

    @Test func theSequentialPipelineExampleStopsAtTheFirstFailure() throws {
        let scratch = TemporaryDirectory()
        let result = try run(
            [Binaries.buildDirectory + "/example-sequential-pipeline", scratch.path],
            environment: ["CONDUCTOR_AGENT_CMD": Binaries.fakeClaudeCommand + " [[fail]]", "HOME": scratch.path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("analyse: error"))
        #expect(result.stdout.contains("implement: skipped"))
        #expect(result.stdout.contains("check: skipped"))
    }

    /// The examples start their workers with `withOrchestrator`: its private queue is gone after.
    @Test func theParallelTestsExampleRunsEachCommandAndLeavesNoQueueBehind() throws {
        let scratch = TemporaryDirectory()
        let temporary = scratch.appending("tmp")
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        let result = try run(
            [Binaries.buildDirectory + "/example-parallel-tests", scratch.path, "echo unit", "echo lint; exit 3"],
            environment: ["HOME": scratch.path, "TMPDIR": temporary])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stdout.contains("echo unit: done in"), "\(result.stdout)")
        #expect(result.stdout.contains("echo lint; exit 3: error in"), "\(result.stdout)")
        #expect(result.stdout.contains("(exit 3)"), "\(result.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary) == [])
    }
}
