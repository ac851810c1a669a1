import Conductor
import Foundation
import Testing
import TestSupport

/// A task's stdout and stderr logs in the queue keep a bounded head and tail, with a marker line
/// saying how much was cut in between.
@Suite(.timeLimit(.minutes(3))) struct LogCapTests {
    @Test func aFloodingTaskKeepsTheHeadAndTheTailOfItsLogs() throws {
        let fixture = try QueueFixture()
        try fixture.startWorker(0)
        let flood = 50_000_000
        let file = try fixture.tasksFile(#"""
        [{"id": "flood", "command": "echo FIRST; head -c \#(flood) /dev/zero | tr '\\0' x; echo; echo LAST; (echo ERR-FIRST; head -c \#(flood) /dev/zero | tr '\\0' y; echo; echo ERR-LAST) >&2"}]
        """#)
        let run = try fixture.conductor(["orchestrator", "1", file, "--queue", fixture.root.path, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let record = try #require(try QueueFixture.report(run.stdout).results.first)
        for (path, first, last) in [(record.result.stdoutLog, "FIRST\n", "\nLAST\n"), (record.result.stderrLog, "ERR-FIRST\n", "\nERR-LAST\n")] {
            let log = try #require(path)
            let size = try #require(try FileManager.default.attributesOfItem(atPath: log)[.size] as? Int)
            #expect(size < flood / 4, "\(log) is capped: \(size) bytes")
            let data = try Data(contentsOf: URL(fileURLWithPath: log))
            #expect(data.starts(with: Data(first.utf8)))
            #expect(data.suffix(last.utf8.count) == Data(last.utf8))
            let text = String(decoding: data, as: UTF8.self)
            let marker = try #require(text.split(separator: "\n").first { $0.contains("bytes cut") })
            let cut = try #require(Int(marker.filter(\.isNumber)))
            #expect(cut + size - marker.utf8.count - 2 == flood + first.utf8.count + last.utf8.count, "the marker counts exactly what is missing")
        }
    }

    /// A log is made when its stream first writes: a task that prints nothing makes no file (on
    /// ext4, each new file costs the inode allocator a search past recently freed inodes, which was
    /// most of a worker's CPU for tiny tasks), and `result.json` names only the logs that were made.
    @Test func onlyTheStreamsATaskWroteToGetALog() throws {
        let fixture = try QueueFixture()
        try fixture.startWorker(0)
        let file = try fixture.tasksFile(#"""
        [{"id": "silent", "command": "true"}, {"id": "out", "command": "echo out"},
         {"id": "err", "command": "echo err >&2; exit 3"}, {"id": "both", "command": "echo out; echo err >&2"}]
        """#)
        let run = try fixture.conductor(["orchestrator", "1", file, "--queue", fixture.root.path, "--json"])
        #expect(run.status != 0, "\(run.stderr)")
        let records = Dictionary(uniqueKeysWithValues: try QueueFixture.report(run.stdout).results.map { ($0.task.id, $0.result) })
        let expected: [String: (stdout: String?, stderr: String?)] = ["silent": (nil, nil), "out": ("out\n", nil), "err": (nil, "err\n"), "both": ("out\n", "err\n")]
        for (id, (stdout, stderr)) in expected {
            let result = try #require(records[id], "no result for \(id)")
            for (path, text) in [(result.stdoutLog, stdout), (result.stderrLog, stderr)] {
                #expect((path == nil) == (text == nil), "\(id): \(path ?? "no log")")
                if let path, let text { #expect(try String(contentsOfFile: path, encoding: .utf8) == text, "\(id): \(path)") }
            }
        }
        let logs = try FileManager.default.contentsOfDirectory(atPath: fixture.root.path + "/workers/0/logs").sorted()
        let named = records.values.flatMap { [$0.stdoutLog, $0.stderrLog].compactMap { $0.map { URL(fileURLWithPath: $0).lastPathComponent } } }.sorted()
        #expect(logs == named, "logs/ holds exactly the logs result.json names")
    }

    /// Runs the task `json` (one task) on a worker whose logs' directory is immutable, so no log
    /// can be made; its result, and that directory.
    private func resultWithImmutableLogs(_ json: String) throws -> (result: TaskResult.Outcome, logs: String) {
        let (run, logs) = try orchestratorWithImmutableLogs(json, ["--json"])
        return (try #require(try QueueFixture.report(run.stdout).results.first?.result, "\(run.stderr)"), logs)
    }

    /// `conductor orchestrator` with `arguments` on the task `json`, on a worker whose logs'
    /// directory is immutable; what it printed, and that directory.
    private func orchestratorWithImmutableLogs(_ json: String, _ arguments: [String]) throws -> (run: RunResult, logs: String) {
        let fixture = try QueueFixture()
        try fixture.startWorker(0)
        let logs = fixture.root.path + "/workers/0/logs"
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let immutable = try ImmutableDirectory(logs)
        defer { immutable.release() }
        let file = try fixture.tasksFile(json)
        return (try fixture.conductor(["orchestrator", "1", file, "--queue", fixture.root.path] + arguments), logs)
    }

    /// A log that cannot be made when output comes does not stop the task (it has run by then):
    /// the result says what was not kept, and why.
    @Test(.enabled(if: ImmutableDirectory.isAvailable, "making a directory immutable needs root"))
    func outputWhoseLogCannotBeMadeIsReportedAsNotKept() throws {
        let (result, logs) = try resultWithImmutableLogs(#"[{"id": "talks", "command": "echo out"}]"#)
        #expect(result.status == .done, "\(result)")
        #expect(result.stdoutLog == nil)
        let warnings = result.warnings ?? []
        #expect(warnings.contains { $0.contains("output was not kept") && $0.contains(logs) && $0.contains("Operation not permitted") }, "\(warnings)")
    }

    /// The table `orchestrator` prints names what was not kept under it, as `batch`'s does.
    @Test(.enabled(if: ImmutableDirectory.isAvailable, "making a directory immutable needs root"))
    func theTableSaysWhatOutputWasNotKept() throws {
        let (run, logs) = try orchestratorWithImmutableLogs(#"[{"id": "talks", "command": "echo out"}]"#, [])
        #expect(run.stdout.contains("warning: task talks: output was not kept: cannot open the task log \(logs)/"), "\(run.stdout)")
    }

    /// An agent's answer is its stdout: when that log cannot be made, the answer is lost, and the
    /// task fails saying so (it was read as empty output, "is it the right program?").
    @Test(.enabled(if: ImmutableDirectory.isAvailable, "making a directory immutable needs root"))
    func anAgentWhoseAnswerCannotBeKeptFailsSayingSo() throws {
        let (result, logs) = try resultWithImmutableLogs(#"[{"id": "ask", "prompt": "say hello"}]"#)
        #expect(result.status == .error, "\(result)")
        #expect(result.error?.contains("its answer was not kept: cannot open the task log \(logs)") == true, "\(result.error ?? "no error")")
    }

    /// On a full disk a log can be made but nothing written to it: such an empty log is removed
    /// and not named, and the result says the output was not kept.
    @Test(.enabled(if: FullDisk.isAvailable, "mounting a full tmpfs needs root"))
    func aLogThatKeptNothingOnAFullDiskIsNotNamed() throws {
        let fixture = try QueueFixture()
        try fixture.startWorker(0)
        let logs = fixture.root.path + "/workers/0/logs"
        let disk = try FullDisk(at: logs)
        defer { disk.unmount() }
        #expect(chmod(logs, 0o700) == 0)
        let file = try fixture.tasksFile(#"[{"id": "talks", "command": "echo out"}]"#)

        let run = try fixture.conductor(["orchestrator", "1", file, "--queue", fixture.root.path, "--json"])

        let left = try FileManager.default.contentsOfDirectory(atPath: logs).filter { $0 != "filler" }
        disk.unmount()
        let result = try #require(try QueueFixture.report(run.stdout).results.first?.result, "\(run.stderr)")
        #expect(result.stdoutLog == nil, "\(result)")
        #expect(left.isEmpty, "\(left)")
        #expect((result.warnings ?? []).contains { $0.contains("cannot write the task log \(logs)/") && $0.contains("No space left on device") }, "\(result.warnings ?? [])")
    }
}
