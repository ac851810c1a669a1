import Conductor
import Foundation
import Testing
import TestSupport

/// A program that links Conductor runs its workers itself: no `conductor` executable beside it or
/// on `PATH` is needed.
@Suite(.timeLimit(.minutes(3))) struct StandaloneProgramTests {
    @Test func aLibraryProgramAloneInItsDirectoryRunsABatchWithNoConductorOnPath() throws {
        let scratch = TemporaryDirectory()
        let program = scratch.appending("bin/example-parallel-tests")
        try FileManager.default.createDirectory(atPath: scratch.appending("bin"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Binaries.buildDirectory + "/example-parallel-tests", toPath: program)
        let work = scratch.appending("work")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .filter { !FileManager.default.isExecutableFile(atPath: "\($0)/conductor") }.joined(separator: ":")

        let result = try run(
            [program, work, "echo one > one.txt", "echo two > two.txt", "echo \"${CONDUCTOR_WORKER_REQUEST-unset}\" > inherited.txt"],
            environment: ["PATH": path, "HOME": scratch.path, "TMPDIR": scratch.path], timeout: 120)

        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(try String(contentsOfFile: work + "/one.txt", encoding: .utf8) == "one\n")
        #expect(try String(contentsOfFile: work + "/two.txt", encoding: .utf8) == "two\n")
        #expect(try String(contentsOfFile: work + "/inherited.txt", encoding: .utf8) == "unset\n",
                "a task does not inherit the variable that made its worker one")
    }

    /// The variable set by mistake ends the program with a line naming it, before `main` runs.
    @Test func aMalformedWorkerRequestIsRefusedNamingTheVariable() throws {
        let scratch = TemporaryDirectory()
        let result = try run([Binaries.buildDirectory + "/example-parallel-tests", scratch.path, "echo ran > ran.txt"],
                             environment: ["CONDUCTOR_WORKER_REQUEST": #"{"id": 0}"#, "HOME": scratch.path, "TMPDIR": scratch.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains(#"CONDUCTOR_WORKER_REQUEST is not a worker request (field "directory": missing)"#), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: scratch.appending("ran.txt")))
    }
}
