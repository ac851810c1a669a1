import Conductor
import Foundation
import Testing
import TestSupport

/// `prune --all` goes on past a batch whose record cannot be read, keeping that batch whole.
@Suite(.timeLimit(.minutes(3))) struct PruneAllTests {
    @Test func aBatchWithAnUnreadableRecordIsKeptAndTheOthersArePruned() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        try fixture.runEchoBatch(in: app, name: "good", workers: 1)
        try fixture.runEchoBatch(in: app, name: "broken", workers: 1)
        try "{ not json".write(toFile: "\(fixture.store)/broken/batch.json", atomically: true, encoding: .utf8)
        let prune = try fixture.conductor(["prune", "--all", "--force", "-d", fixture.store], in: app)
        #expect(prune.status == 1, "something was kept: \(prune.stdout)\(prune.stderr)")
        #expect(prune.stdout.contains("kept batch broken: its batch.json cannot be read"), "\(prune.stdout)")
        #expect(!FileManager.default.fileExists(atPath: "\(fixture.store)/good"), "the readable batch was pruned")
        #expect(FileManager.default.fileExists(atPath: "\(fixture.store)/broken/app/w0"), "the unreadable one was not touched")
    }
}
