import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Waits until `process` ends, at most `timeout` seconds; its status (the signal's number when a
/// signal ended it, as `Process` says), or nil when it still runs.
///
/// Foundation's `Process` can miss a child's exit: two `git` children started at once from two
/// test threads were left as zombies, their termination handler never called, and a test waiting
/// on it alone hung the run. So the exit is also looked for with `waitid(WNOWAIT)`, which sees a
/// zombie without reaping it (`Process` may still reap it later).
public func waitForExit(of process: Process, signalled exited: DispatchSemaphore, timeout: TimeInterval) -> Int32? {
    let deadline = Date().addingTimeInterval(timeout)
    repeat {
        if exited.wait(timeout: .now() + 0.05) == .success {
            exited.signal() // for the next waiter
            return process.terminationStatus
        }
        var info = siginfo_t()
        if waitid(P_PID, id_t(process.processIdentifier), &info, WEXITED | WNOHANG | WNOWAIT) == 0,
           info._sifields._sigchld.si_pid == process.processIdentifier {
            return info._sifields._sigchld.si_status
        }
    } while Date() < deadline
    return nil
}

/// Starts `process`, one start at a time in this test process: Foundation's `Process.run()` is
/// not safe to call from several threads at once (two concurrent starts crashed inside it, in a
/// `memcpy`, while git was being started from several threads of one test).
public func start(_ process: Process) throws {
    try startLock.withLock { try process.run() }
}

private let startLock = NSLock()
