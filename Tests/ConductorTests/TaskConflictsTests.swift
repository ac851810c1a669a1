import Conductor
import Foundation
import Testing
import TestSupport

/// Which tasks' changes cannot both be applied, found from the batch's results and repositories.
@Suite(.timeLimit(.minutes(3))) struct TaskConflictsTests {
    @Test func changesOverlapOnACommonPathOrADirectoryAboveOneAndNowhereElse() {
        #expect(TaskConflicts.overlapping(["a/b.txt"], ["a/b.txt", "c"]))
        #expect(TaskConflicts.overlapping(["a/b"], ["a/b/c.txt"]), "a file replacing a directory of the other's")
        #expect(TaskConflicts.overlapping(["x/y/z/w.txt"], ["x/y"]))
        #expect(!TaskConflicts.overlapping(["a/bc"], ["a/b/c"]), "a name that only starts like a directory")
        #expect(!TaskConflicts.overlapping(["a/b"], ["a/bc/d"]))
        #expect(!TaskConflicts.overlapping(["x"], ["y/x"]))
        #expect(!TaskConflicts.overlapping([], ["a"]))
        #expect(TaskConflicts.parentDirectories(of: "a/b/c.txt") == ["a", "a/b"])
        #expect(TaskConflicts.parentDirectories(of: "top.txt") == [])
    }

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
