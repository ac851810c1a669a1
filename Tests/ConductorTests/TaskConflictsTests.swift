import Conductor
import Foundation
import Testing
import TestSupport

/// Which tasks' changes cannot both be applied, found from the batch's results and repositories.
@Suite(.timeLimit(.minutes(3))) struct TaskConflictsTests {
    @Test func tasksOfOtherWorkersThatChangeTheSameLinesConflictAndNoOthers() throws {
        let batch = try TaskBatch()
        let record = try BatchStore(path: batch.fixture.store).load(batch.name)
        let results = try MergeReport.readResults(record.resultsFile)
        let conflicts = try TaskConflicts.find(for: record, results: results)
        let pairs = conflicts.map { Set([$0.a, $0.b]) }
        #expect(pairs.contains(["k1", "k2"]), "\(conflicts)")
        #expect(conflicts.allSatisfy { $0.paths == ["shared.txt"] && ($0.a == "k2" || $0.b == "k2") }, "\(conflicts)")
        let byTask = TaskConflicts.conflictsWith(conflicts)
        #expect(byTask["k1"] == ["k2"])
        #expect(byTask["c1"] == nil && byTask["c2"] == nil && byTask["f1"] == nil)
        #expect(byTask["k2"]?.contains("k1") == true)
    }
}
