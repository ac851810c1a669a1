import Conductor
import Foundation
import Testing
import TestSupport

/// The end-of-run task tables, as people read them: `orchestrator` shows tries and the output,
/// `batch` the worker's branch number, the files each commit changed and why a task failed.
@Suite(.serialized, .timeLimit(.minutes(3))) struct TaskTableTests {
    /// `line` with runs of spaces made one, so the test does not depend on column widths.
    private func cells(_ line: Substring) -> String {
        line.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    @Test func theOrchestratorTableShowsTriesAndOutput() throws {
        let fixture = try QueueFixture()
        try fixture.startWorker(0)
        let file = try fixture.tasksFile(#"[{"id": "hello", "command": "echo hi there"}]"#)
        let run = try fixture.conductor(["orchestrator", "1", file, "--queue", fixture.root.path])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(cells)
        #expect(lines.contains("TASK WORKER STATUS TRIES TIME COST OUTPUT"), "\(run.stdout)")
        let row = try #require(lines.first { $0.hasPrefix("hello ") }, "\(run.stdout)")
        #expect(row.hasPrefix("hello 0 done 1 ") && row.hasSuffix("s - hi there"), "\(row)")
    }

    @Test func theBatchTableShowsFilesAndWhyATaskFailed() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let file = try fixture.tasksFile("""
        {"tasks": [
          {"id": "two", "command": "echo a > a.txt; echo b > b.txt"},
          {"id": "broken", "command": "echo nope >&2; exit 3"}
        ]}
        """)
        let batch = try fixture.conductor(["batch", "--worktrees", "-w", "1", "--sequential", "-d", fixture.store, "--name", "t1", file], in: app)
        let lines = batch.stdout.split(separator: "\n").map(cells)
        #expect(lines.contains("TASK WORKER STATUS TIME FILES COST RESULT"), "\(batch.stdout)")
        let two = try #require(lines.first { $0.hasPrefix("two ") }, "\(batch.stdout)")
        #expect(two.hasPrefix("two w0 done ") && two.hasSuffix("s 2 -"), "\(two)")
        let broken = try #require(lines.first { $0.hasPrefix("broken ") }, "\(batch.stdout)")
        #expect(broken.hasPrefix("broken w0 error ") && broken.contains(" - - "), "\(broken)")
        #expect(lines.contains { $0.hasPrefix("log of broken: ") }, "\(batch.stdout)")
    }
}
