import Conductor
import Foundation
import Testing
import TestSupport

/// A submission cancelled before its run begins (Ctrl-C on `submit`, an MCP client cancelling
/// `submit`) runs nothing: the flag is handed to the run itself, not raised on an orchestrator
/// whose run has not started.
@Suite(.serialized, .timeLimit(.minutes(3))) struct SubmissionCancelTests {
    @Test func aSubmissionCancelledBeforeItsRunBeginsRunsNothing() throws {
        let fixture = try QueueFixture()
        try fixture.startWorker(0)
        let marker = fixture.directory.appending("ran")
        let cancellation = CancellationFlag()
        cancellation.raise()
        let report = try Submission.wait(for: [.command("touch \(marker)", id: "late")], on: fixture.root, options: OrchestratorOptions(),
                                         sequential: false, cancellation: cancellation, warning: { _ in })
        #expect(report.results.map(\.result.status) == [.cancelled])
        #expect(!FileManager.default.fileExists(atPath: marker))
    }
}
