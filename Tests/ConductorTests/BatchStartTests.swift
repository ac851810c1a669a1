import Conductor
import Foundation
import Testing
import TestSupport

/// How a batch starts: where it says it lives, and default names that never collide.
@Suite(.timeLimit(.minutes(3))) struct BatchStartTests {
    @Test func batchesStartedTogetherWithoutANameAllRunUnderTheirOwnNames() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let file = try fixture.tasksFile(#"[{"id": "t", "command": "true"}]"#)
        let batches = try (0..<4).map { _ in
            try BackgroundProcess([Binaries.conductor, "batch", "--worktrees", "-w", "1", "-d", fixture.store, file],
                                  directory: app, environment: fixture.environment)
        }
        let statuses = batches.map { $0.waitForExit(timeout: 120) }
        #expect(statuses.allSatisfy { $0 == 0 }, "\(batches.map { String($0.output.suffix(500)) })")
        let names = try FileManager.default.contentsOfDirectory(atPath: fixture.store).filter {
            FileManager.default.fileExists(atPath: "\(fixture.store)/\($0)/batch.json")
        }
        #expect(Set(names).count == 4, "\(names)")
    }

    @Test func aBatchSaysWhereItLivesAndHowToWatchIt() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let file = try fixture.tasksFile(#"[{"id": "t", "command": "true"}]"#)
        let result = try fixture.conductor(["batch", "-n", "w1", "-d", fixture.store, file], in: app)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("queue \(fixture.store)/w1/queue"), "\(result.stderr)")
        #expect(result.stderr.contains("conductor status -n w1 -d \(fixture.store)"), "\(result.stderr)")
    }
}
