import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Waits until `process` ends, at most `timeout` seconds; its status (the signal's number when a
/// signal ended it, as `Process` says), or nil when it still runs.
///
/// Foundation's `Process` can miss a child's exit: it learns of it from a socket the child holds,
/// watched with select(), so a grandchild that keeps the socket (`pg_ctl start`'s server), or a
/// test process past 1,024 descriptors, leaves the child a zombie whose termination handler is
/// never called, and a test waiting on it alone hangs the run. So the exit is also looked for with
/// `waitid(WNOWAIT)`, which sees a zombie without reaping it (`Process` may still reap it later).
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
