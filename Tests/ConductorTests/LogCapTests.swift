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
}
