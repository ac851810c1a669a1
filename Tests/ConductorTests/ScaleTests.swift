import Conductor
import Foundation
import Testing
import TestSupport

/// The widest batch the validator accepts. 256 worker processes load the machine enough to
/// starve tests running beside them, so this runs with the chaos suite (`make chaos`), alone.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["CONDUCTOR_CHAOS"] == "1"), .timeLimit(.minutes(5)))
struct ScaleTests {
    @Test func aBatchOf256WorkersFinishes() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let tasks = (0..<256).map { #"{"id": "t\#($0)", "command": "true"}"# }
        let file = try fixture.tasksFile("[\(tasks.joined(separator: ","))]")
        let batch = try BackgroundProcess(
            [Binaries.conductor, "batch", "-w", "256", "-d", fixture.store, "--name", "wide", file],
            directory: app, environment: fixture.environment)
        let status = batch.waitForExit(timeout: 240)
        if status == nil { batch.stop(grace: 1) }
        #expect(status == 0, "\(batch.output.suffix(2000))")
        let final = try BatchRun.finalResults(journal: "\(fixture.store)/wide/journal.jsonl")
        #expect(final.count == 256)
        #expect(final.values.allSatisfy { $0.result.status == .done })
        print("scale: batch of 256 workers, tasks \(final.count), done \(final.values.filter { $0.result.status == .done }.count)")
    }
}
