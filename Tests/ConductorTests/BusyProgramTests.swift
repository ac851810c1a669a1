import Conductor
import Foundation
import Testing
import TestSupport

/// A program that something still holds open for writing cannot be executed (ETXTBSY): a
/// just-written agent wrapper whose descriptor a concurrent fork inherited, for one.
@Suite(.timeLimit(.minutes(2))) struct BusyProgramTests {
    /// Writes an executable script at `path` and returns the descriptor it was written through, still open.
    private func scriptHeldOpen(at path: String) throws -> Int32 {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        let text = Array("#!/bin/sh\necho ran\n".utf8)
        guard write(descriptor, text, text.count) == text.count else { throw POSIXError(.EIO) }
        return descriptor
    }

    private func start(_ program: String, in directory: TemporaryDirectory) throws -> ChildProcess {
        try ChildProcess(arguments: [program], directory: directory.path, environment: ["PATH": "/usr/bin:/bin"],
                         stdoutPath: directory.appending("out"), stderrPath: directory.appending("err"))
    }

    // The spawn retries on the test's thread; the descriptor is closed from a thread of its own,
    // since the pool's few threads may all be busy then.
    @Test func aProgramWhoseWriterClosesSoonIsStarted() async throws {
        let directory = TemporaryDirectory()
        let program = directory.appending("agent")
        let descriptor = try scriptHeldOpen(at: program)
        Thread.detachNewThread {
            usleep(100_000)
            close(descriptor)
        }
        let exit = try await offThePool { try start(program, in: directory).wait() }
        #expect(exit == ChildProcess.Exit(status: 0))
        #expect(try String(contentsOfFile: directory.appending("out"), encoding: .utf8) == "ran\n")
    }

    @Test func aProgramKeptOpenForWritingIsAClearError() async throws {
        let directory = TemporaryDirectory()
        let program = directory.appending("agent")
        let descriptor = try scriptHeldOpen(at: program)
        defer { close(descriptor) }
        let error = try await offThePool { #expect(throws: ChildProcessError.self) { try start(program, in: directory) } }
        #expect(error?.code == ETXTBSY)
        let message = error?.description ?? ""
        #expect(message.contains(program) && message.contains("another process has it open for writing"), "\(message)")
    }
}
