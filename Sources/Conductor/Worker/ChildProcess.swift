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
/// stdin is `/dev/null`; stdout and stderr go to files; no other descriptor of the parent is
/// inherited. Signals the worker ignores or handles are reset to their defaults in the child.
public final class ChildProcess: Sendable {
    /// How the process ended.
    public struct Exit: Sendable, Equatable {
        /// The exit status when it exited normally.
        public var status: Int32?
        /// The signal that killed it.
        public var signal: Int32?
        /// Ended by `wait(timeout:)` after the timeout.
        public var timedOut = false
        /// Ended by `terminate()`.
        public var cancelled = false

        public init(status: Int32? = nil, signal: Int32? = nil, timedOut: Bool = false, cancelled: Bool = false) {
            self.status = status
            self.signal = signal
            self.timedOut = timedOut
            self.cancelled = cancelled
        }
    }

    /// The pid of the leader, which is also the process group id.
    public let pid: pid_t
    private let state = Mutex<(exited: Bool, cancelled: Bool)>((false, false))
    private let exited = DispatchSemaphore(value: 0)
    private let waitStatus = Mutex<siginfo_t?>(nil)

    /// Starts `arguments[0]` (an absolute path) with `arguments`.
    ///
    /// - Throws: `ChildProcessError` when the program cannot be started.
    public init(arguments: [String], directory: String, environment: [String: String], stdoutPath: String, stderrPath: String) throws {
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
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        conductor_spawn_file_actions_addchdir(&actions, directory)
        conductor_spawn_file_actions_addclosefrom(&actions, 3)

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let code = posix_spawn(&child, arguments[0], &actions, &attributes, argv, envp)
        guard code == 0 else { throw ChildProcessError(program: arguments[0], directory: directory, code: code) }
        pid = child
        // A queue of its own (libdispatch gives private queues a thread even when the shared
        // pool is busy): the wait below blocks for as long as the task runs.
        DispatchQueue(label: "conductor.child.wait").async { [self] in awaitExit() }
    }

    /// Waits for the process to end (any number of times); after `timeout` seconds it is terminated (SIGTERM to its
    /// group, SIGKILL after `grace` seconds). Members of the group still running when the leader
    /// has exited are killed, so nothing the task started outlives it.
    public func wait(timeout: TimeInterval? = nil, grace: TimeInterval = 5) -> Exit {
        var timedOut = false
        if let timeout, exited.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            endGroup(grace: grace)
        } else if timeout == nil {
            exited.wait()
        }
        if timedOut { exited.wait() }
        exited.signal()
        let info = waitStatus.withLock { $0 }!
        kill(-pid, SIGKILL)
        var reaped = siginfo_t()
        while waitid(P_PID, id_t(pid), &reaped, WEXITED) != 0 && errno == EINTR {}
        var exit = Exit(timedOut: timedOut, cancelled: state.withLock { $0.cancelled })
        let status = info._sifields._sigchld.si_status
        if info.si_code == CLD_EXITED { exit.status = status } else { exit.signal = status }
        return exit
    }

    /// Ends the process group (SIGTERM, then SIGKILL after `grace` seconds) and marks the exit
    /// cancelled. Callable from any thread; `wait` returns once the leader is gone.
    public func terminate(grace: TimeInterval = 5) {
        let alreadyExited = state.withLock { value -> Bool in
            value.cancelled = true
            return value.exited
        }
        guard !alreadyExited else { return }
        DispatchQueue(label: "conductor.child.terminate").async { [self] in endGroup(grace: grace) }
    }

    private func endGroup(grace: TimeInterval) {
        kill(-pid, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline {
            if state.withLock({ $0.exited }) { return }
            usleep(20_000)
        }
        kill(-pid, SIGKILL)
    }

    /// Blocks until the leader exits, without reaping it: while it is a zombie its pid (and so
    /// its process group id) cannot be reused, which keeps `kill(-pid, …)` safe.
    private func awaitExit() {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
        waitStatus.withLock { $0 = info }
        state.withLock { $0.exited = true }
        exited.signal()
    }
}

/// A program that could not be started.
public struct ChildProcessError: Error, CustomStringConvertible {
    public let program: String
    public let directory: String
    public let code: Int32

    public var description: String {
        if code == ENOENT && !FileManager.default.fileExists(atPath: directory) {
            return "cannot start \(program): the directory \(directory) does not exist"
        }
        return "cannot start \(program): \(String(cString: strerror(code)))"
    }
}
