import CSystemShims
import FoundationEssentials
import Dispatch
import FoundationShims
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A task's process, started in a process group of its own so that it can be ended with
/// everything it spawned.
///
/// stdin is `/dev/null` (or a file given); stdout and stderr go to files (through pipes into capped logs when
/// `logLimit` is given); no other descriptor of the parent is inherited. Signals the worker
/// ignores or handles are reset to their defaults in the child.
///
/// The exit is noticed through a pidfd on the shared `DescriptorLoop`, not a thread per child,
/// and only this child is ever reaped (the library may live inside a program with children of
/// its own). Signals go to the group only while the leader is unreaped: until then its pid, and
/// so the group id, cannot be reused. Waiting blocks only the thread that calls `wait`.
///
/// Why not swift-subprocess (1.0.2, checked for tasks, workers, tmux calls and submissions): it
/// reaps the leader as soon as it exits (`Configuration.run` in Configuration.swift calls
/// `reapProcess(with:)`, i.e. `_blockingReap`'s `waitid(P_PID, …, WEXITED)` in
/// Platforms/Subprocess+Unix.swift, right after `waitForProcessTermination(for:)`), so a task's
/// group cannot be killed while its id is still safe, and `Execution.send(signal:toProcessGroup:)`
/// would then hit whatever group reuses it. Its six entry points (the `run` functions of API.swift)
/// are `async` and return only once the child has ended (ending it when the calling task is
/// cancelled), so a background submission, which must outlive `conductor submit`, cannot be
/// started with it, and every synchronous caller here (`Tmux.run`, `TaskRun`, `WorkerPool`) would
/// park a thread on a semaphore per child, the cost it would have removed. Its outputs (strings,
/// byte arrays, a descriptor, a stream) leave `LogCapture`'s capped log files to be written anyway,
/// and it would add its own monitor thread (`monitorThreadFunc` in Platforms/Subprocess+Linux.swift,
/// plus a process-wide SIGCHLD handler where `waitid(P_PIDFD)` is missing) beside `DescriptorLoop`.
/// What it does offer (own process group, no inherited descriptors, default signals, pidfds on one
/// thread) this type has; the price would be 12,395 lines of Subprocess and 13,451 of swift-system
/// (its Linux dependency), about 14 s more CPU for a clean debug build of a scratch package that
/// uses it with the Foundation trait off (15.9 s against 2.1 s on the project's 2-core machine).
package final class ChildProcess: Sendable {
    /// How the process ended.
    package struct Exit: Sendable, Equatable {
        /// The exit status when it exited normally.
        package var status: Int32?
        /// The signal that killed it.
        package var signal: Int32?
        /// Ended by `wait(timeout:)` after the timeout.
        package var timedOut = false
        /// Ended by `terminate()`.
        package var cancelled = false

        package init(status: Int32? = nil, signal: Int32? = nil, timedOut: Bool = false, cancelled: Bool = false) {
            self.status = status
            self.signal = signal
            self.timedOut = timedOut
            self.cancelled = cancelled
        }
    }

    /// A signal sent to the process group, and what `kill` returned (0, or -1 with the errno).
    struct SentSignal: Sendable, Equatable {
        let signal: Int32
        let result: Int32
        let error: Int32
    }

    private struct State {
        /// Set when the leader has exited (it stays a zombie until `wait` reaps it): its status
        /// or signal, both nil when another part of the program reaped it first.
        var exit: (status: Int32?, signal: Int32?)?
        var reaped = false
        var cancelled = false
        var timedOut = false
        var sent: [SentSignal] = []
        var exitHandlers: [@Sendable () -> Void] = []
    }

    /// The pid of the leader, which is also the process group id.
    package let pid: pid_t
    private let state = Mutex(State())
    private let exited = DispatchSemaphore(value: 0)
    private let captures: [LogCapture]
    /// How long `wait` waits for the output pipes to close once the group is gone.
    private static let captureGrace: TimeInterval = 2

    /// Starts `arguments[0]` (an absolute path) with `arguments`.
    ///
    /// - Parameters:
    ///   - logLimit: when given, stdout and stderr are copied through pipes into their files, each
    ///     keeping at most this many bytes and made only when its stream writes (see `LogCapture`).
    ///   - stdinPath: a file to read standard input from (default `/dev/null`).
    ///   - stdoutLines: with `logLimit`, called with each line of stdout as it is written.
    /// - Throws: `ChildProcessError` when the program cannot be started (or, without pidfd
    ///   support, watched).
    package init(arguments: [String], directory: String, environment: [String: String], stdoutPath: String, stderrPath: String,
                logLimit: Int? = nil, stdinPath: String = "/dev/null", stdoutLines: (@Sendable (ArraySlice<UInt8>) -> Void)? = nil) throws {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdinPath, O_RDONLY, 0)
        // The parent's ends of the output pipes: each reader goes to a capture (which owns it from
        // then on), each writer is closed once the child has its copy.
        var writers: [Int32] = []
        defer { writers.forEach { close($0) } }
        var captures: [LogCapture] = []
        for (target, path) in [(Int32(1), stdoutPath), (2, stderrPath)] {
            if let logLimit {
                var ends: [Int32] = [-1, -1]
                guard conductor_pipe_cloexec(&ends) == 0 else { throw ChildProcessError(program: arguments[0], directory: directory, code: errno) }
                writers.append(ends[1])
                captures.append(LogCapture(reader: ends[0], path: path, limit: logLimit, onLine: target == 1 ? stdoutLines : nil))
                posix_spawn_file_actions_adddup2(&actions, ends[1], target)
            } else {
                posix_spawn_file_actions_addopen(&actions, target, path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            }
        }
        conductor_spawn_file_actions_addchdir(&actions, directory)
        conductor_spawn_file_actions_addclosefrom(&actions, 3)

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let code = Self.retryingBusyProgram { posix_spawn(&child, arguments[0], &actions, &attributes, argv, envp) }
        guard code == 0 else { throw ChildProcessError(program: arguments[0], directory: directory, code: code) }
        pid = child
        self.captures = captures
        let pidfd = conductor_pidfd_open(child)
        guard pidfd >= 0 else {
            // Without a pidfd the exit cannot be noticed: end the child rather than lose track of it.
            let failure = errno
            kill(-child, SIGKILL)
            var info = siginfo_t()
            while waitid(P_PID, id_t(child), &info, WEXITED) != 0 && errno == EINTR {}
            throw ChildProcessError(program: arguments[0], directory: directory, code: failure)
        }
        DescriptorLoop.shared.watch(pidfd) { [self] in noticeExit() }
    }

    /// How long a spawn retries a program that something holds open for writing.
    static let busyProgramPatience: useconds_t = 1_000_000

    /// Runs `spawn` (a `posix_spawn`) again, after short and then longer pauses, while it fails with
    /// ETXTBSY, for up to `busyProgramPatience`. A program written just before it is started (a
    /// user's agent wrapper, a test's stand-in) can still be open for writing in a child that
    /// another thread of the program that wrote it forked meanwhile: the child holds a copy of
    /// the descriptor until it execs, and O_CLOEXEC cannot close it sooner.
    private static func retryingBusyProgram(_ spawn: () -> Int32) -> Int32 {
        var code = spawn()
        var waited: useconds_t = 0
        var pause: useconds_t = 5_000
        while code == ETXTBSY && waited < busyProgramPatience {
            usleep(pause)
            waited += pause
            pause = min(pause * 2, 100_000)
            code = spawn()
        }
        return code
    }

    /// Waits for the process to end (any number of times); after `timeout` seconds it is terminated (SIGTERM to its
    /// group, SIGKILL after `grace` seconds). Members of the group still running when the leader
    /// has exited are killed, so nothing the task started outlives it; then the leader is reaped.
    package func wait(timeout: TimeInterval? = nil, grace: TimeInterval = 5) -> Exit {
        if let timeout {
            if exited.wait(timeout: .now() + timeout) == .timedOut {
                state.withLock { $0.timedOut = true }
                endGroup(grace: grace)
                exited.wait()
            }
        } else {
            exited.wait()
        }
        exited.signal()
        let exit = state.withLock { state -> Exit in
            if !state.reaped {
                Self.send(SIGKILL, to: pid, recordingIn: &state)
                var reaped = siginfo_t()
                while waitid(P_PID, id_t(pid), &reaped, WEXITED) != 0 && errno == EINTR {}
                state.reaped = true
            }
            return Exit(status: state.exit?.status, signal: state.exit?.signal, timedOut: state.timedOut, cancelled: state.cancelled)
        }
        captures.forEach { $0.wait(timeout: Self.captureGrace) }
        return exit
    }

    /// Why output was not kept, for each capped log that could not be opened or written;
    /// complete after `wait`.
    package var logFailures: [LogCaptureError] { captures.compactMap(\.failure) }

    /// The capped logs this process's output made (a stream that wrote nothing makes none);
    /// complete after `wait`.
    package var madeLogs: Set<String> { Set(captures.filter(\.made).map(\.path)) }

    /// Ends the process group (SIGTERM, then SIGKILL after `grace` seconds) and marks the exit
    /// cancelled. Callable from any thread; `wait` returns once the leader is gone.
    package func terminate(grace: TimeInterval = 5) {
        let alreadyExited = state.withLock { state -> Bool in
            state.cancelled = true
            return state.exit != nil
        }
        guard !alreadyExited else { return }
        endGroup(grace: grace)
    }

    /// Sends `signal` to the leader alone (not its group), unless it has been reaped.
    package func signal(_ signal: Int32) {
        state.withLock { state in
            guard !state.reaped else { return }
            kill(pid, signal)
        }
    }

    /// Runs `handler` once the leader has exited (at once when it already has), on the
    /// descriptor loop's thread or the caller's. The handler must not block.
    func onExit(_ handler: @escaping @Sendable () -> Void) {
        let now = state.withLock { state -> Bool in
            if state.exit != nil { return true }
            state.exitHandlers.append(handler)
            return false
        }
        if now { handler() }
    }

    /// True once the leader has exited (reaped or not).
    var hasExited: Bool { state.withLock { $0.exit != nil } }

    /// The signals sent to the group so far, for tests: each must have reached a live group.
    var sentSignals: [SentSignal] { state.withLock { $0.sent } }

    private func endGroup(grace: TimeInterval) {
        signalGroup(SIGTERM)
        DispatchQueue.global().asyncAfter(deadline: .now() + grace) { [self] in
            if !hasExited { signalGroup(SIGKILL) }
        }
    }

    /// Signals the group unless the leader has been reaped.
    private func signalGroup(_ signal: Int32) {
        state.withLock { state in
            guard !state.reaped else { return }
            Self.send(signal, to: pid, recordingIn: &state)
        }
    }

    private static func send(_ signal: Int32, to group: pid_t, recordingIn state: inout State) {
        let result = kill(-group, signal)
        state.sent.append(SentSignal(signal: signal, result: result, error: result == 0 ? 0 : errno))
    }

    /// Called on the loop when the pidfd is readable: records the exit without reaping.
    private func noticeExit() -> DescriptorLoop.Next {
        var info = siginfo_t()
        let result = waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT | WNOHANG)
        if result == 0 && info._sifields._kill.si_pid != pid || result != 0 && errno == EINTR { return .keep }
        let handlers = state.withLock { state -> [@Sendable () -> Void] in
            if result == 0 {
                let status = info._sifields._sigchld.si_status
                state.exit = info.si_code == CLD_EXITED ? (status, nil) : (nil, status)
            } else {
                // Reaped by someone else (ECHILD): the status is lost, and the group must not be signalled.
                state.exit = (nil, nil)
                state.reaped = true
            }
            defer { state.exitHandlers = [] }
            return state.exitHandlers
        }
        exited.signal()
        handlers.forEach { $0() }
        return .close
    }
}

/// A program that could not be started.
package struct ChildProcessError: Error, CustomStringConvertible {
    package let program: String
    package let directory: String
    package let code: Int32

    package var description: String {
        if code == ENOENT && !FileManager.default.fileExists(atPath: directory) {
            return "cannot start \(program): the directory \(directory) does not exist"
        }
        if code == ETXTBSY {
            let seconds = Double(ChildProcess.busyProgramPatience) / 1_000_000
            return "cannot start \(program): another process has it open for writing (still after \(seconds.formatted()) s of retrying); "
                + "start it once whatever writes it has closed it"
        }
        return "cannot start \(program): \(String(cString: strerror(code)))"
    }
}
