import Conductor
import Foundation
import Testing
import TestSupport

/// A task whose commits are not next to each other on its branch (a follow-up committed after
/// another task ran on the same worker) is taken without the other task's change.
@Suite(.timeLimit(.minutes(3))) struct TaskWorkTests {
    @Test func aTaskWithCommitsAroundAnotherTasksIsTakenWithoutIt() throws {
        let fixture = try GitFixture()
        let base = try fixture.revParse("HEAD")
        let work = TemporaryDirectory("conductor-taskwork")
        let batch = BatchRecord(
            name: "f1", createdAt: Date(), directory: work.appending("f1"), tasksFile: work.appending("tasks.json"), workers: 1,
            worktrees: true, sequential: false, repos: [BatchRepository(path: fixture.path, name: "repo", base: "main", baseCommit: base)],
            setup: nil)
        try fixture.git(["checkout", "-q", "-b", batch.branch(worker: 0)])
        try fixture.write("a.txt", "a\n")
        let first = try fixture.commit("t1: write a\n\nConductor-Batch: f1\nConductor-Task: t1")
        try fixture.write("b.txt", "b\n")
        let other = try fixture.commit("t2: write b\n\nConductor-Batch: f1\nConductor-Task: t2")
        try fixture.write("a.txt", "a\nmore\n")
        let followUp = try fixture.commit("t1: more a\n\nConductor-Batch: f1\nConductor-Task: t1")
        try fixture.git(["checkout", "-q", "main"])

        func result(_ id: String, _ commits: [String]) -> TaskResult {
            var outcome = TaskResult.Outcome.synthetic(.done, error: "", attempts: 1)
            outcome.error = nil
            outcome.commits = commits
            outcome.commit = commits.last
            return TaskResult(task: .command("true", id: id), worker: 0, result: outcome)
        }
        let results = [result("t1", [first, followUp]), result("t2", [other])]
        let report = try MergeReport.build(for: batch, results: results)
        let outcome = try #require(try IntegrationMerge.run(for: batch, report: report, results: results, mode: .tasks(TaskSelection())).first)
        #expect(outcome.taken?.map(\.task) == ["t1", "t2"])
        let t1Pick = try #require(outcome.taken?.first?.commit)
        #expect(try fixture.git(["ls-tree", "--name-only", t1Pick]).split(separator: "\n").contains("b.txt") == false)
        #expect(try fixture.git(["show", "\(t1Pick):a.txt"]) == "a\nmore\n")
        #expect(try fixture.git(["show", "\(batch.mergedBranch):b.txt"]) == "b\n")

        let repository = try Repository.open(at: fixture.path)
        let t1 = try #require(try TaskWork.read(in: repository, results: results).first)
        #expect(t1.paths == ["a.txt"])
    }
}
