import Conductor
import Foundation
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(3))) struct ChildProcessTests {
    private func start(_ script: String, in directory: TemporaryDirectory) throws -> ChildProcess {
        try ChildProcess(arguments: ["/bin/sh", "-c", script], directory: directory.path, environment: ["PATH": "/usr/bin:/bin"],
                         stdoutPath: directory.appending("out"), stderrPath: directory.appending("err"))
    }

    @Test func reportsExitStatusAndOutput() throws {
        let directory = TemporaryDirectory()
        let exit = try start("echo out; echo err >&2; pwd; exit 7", in: directory).wait()
        #expect(exit == ChildProcess.Exit(status: 7))
        #expect(try String(contentsOfFile: directory.appending("out"), encoding: .utf8) == "out\n\(directory.path)\n")
        #expect(try String(contentsOfFile: directory.appending("err"), encoding: .utf8) == "err\n")
    }

    @Test func aTimeoutEndsTheWholeProcessGroup() throws {
        let directory = TemporaryDirectory()
        let child = try start("sleep 300 & echo $! > grandchild; sleep 300", in: directory)
        #expect(waitUntil { ((try? String(contentsOfFile: directory.appending("grandchild"), encoding: .utf8)) ?? "").hasSuffix("\n") })
        let grandchild = try #require(Int32(try String(contentsOfFile: directory.appending("grandchild"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        let exit = child.wait(timeout: 0.2, grace: 2)
        #expect(exit.timedOut)
        #expect(exit.signal == SIGTERM)
        #expect(waitUntil { !processIsAlive(grandchild) })
    }

    @Test func aChildIgnoringSIGTERMIsKilledAfterTheGrace() throws {
        let directory = TemporaryDirectory()
        let child = try start("trap '' TERM; while true; do sleep 0.05; done", in: directory)
        let exit = child.wait(timeout: 0.2, grace: 0.5)
        #expect(exit.timedOut)
        #expect(exit.signal == SIGKILL)
    }

    @Test func terminateMarksTheExitCancelledAndLeavesNoStragglers() throws {
        let directory = TemporaryDirectory()
        let child = try start("(trap '' TERM; sleep 300) & echo $! > grandchild; wait", in: directory)
        #expect(waitUntil { ((try? String(contentsOfFile: directory.appending("grandchild"), encoding: .utf8)) ?? "").hasSuffix("\n") })
        let grandchild = try #require(Int32(try String(contentsOfFile: directory.appending("grandchild"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        child.terminate(grace: 1)
        let exit = child.wait()
        #expect(exit.cancelled)
        #expect(waitUntil { !processIsAlive(grandchild) })
        #expect(child.wait() == exit)
    }

    @Test func aMissingDirectoryIsAClearError() {
        let error = #expect(throws: ChildProcessError.self) {
            try ChildProcess(arguments: ["/bin/true"], directory: "/nonexistent/dir", environment: [:], stdoutPath: "/dev/null", stderrPath: "/dev/null")
        }
        #expect(error?.description.contains("does not exist") == true)
    }
}
