import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Waits until something changes in a set of directories.
///
/// On Linux it uses inotify; with `CONDUCTOR_WATCH=poll` (or where inotify is unavailable) it wakes
/// at a fixed interval instead. Callers follow one pattern, which never misses a change: create the
/// watcher, then loop { check the files; `wait` }. A change between the check and the wait is
/// queued by inotify and ends the wait at once.
///
/// `wake()` may be called from any thread (a signal handler's queue, say) to end a wait early.
public final class DirectoryWatcher: @unchecked Sendable {
    public enum Mode: Sendable, Equatable {
        case inotify
        case polling(interval: TimeInterval)

        /// `polling` when `CONDUCTOR_WATCH=poll`, else `inotify`.
        public static var fromEnvironment: Mode {
            ProcessInfo.processInfo.environment["CONDUCTOR_WATCH"] == "poll" ? .polling(interval: 0.02) : .inotify
        }
    }

    /// Why a wait ended.
    public enum Wake: Sendable, Equatable {
        case changed, timedOut, woken
    }

    public let mode: Mode
    private let inotifyDescriptor: Int32
    private let wakeReader: Int32
    private let wakeWriter: Int32

    /// Starts watching `directories` for files created, written, moved in or deleted.
    public init(directories: [String], mode requested: Mode = .fromEnvironment) throws {
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw QueueError.io("pipe", errno) }
        for end in pipeEnds {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, O_NONBLOCK)
        }
        wakeReader = pipeEnds[0]
        wakeWriter = pipeEnds[1]
        var descriptor: Int32 = -1
        var mode = requested
        if mode == .inotify {
            descriptor = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
            if descriptor < 0 { mode = .polling(interval: 0.02) }
        }
        let events = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MOVED_FROM)
        if descriptor >= 0 {
            for directory in directories where inotify_add_watch(descriptor, directory, events) < 0 {
                let code = errno
                close(descriptor)
                close(wakeReader)
                close(wakeWriter)
                throw QueueError.io("watch \(directory)", code)
            }
        }
        self.mode = mode
        inotifyDescriptor = descriptor
    }

    deinit {
        if inotifyDescriptor >= 0 { close(inotifyDescriptor) }
        close(wakeReader)
        close(wakeWriter)
    }

    /// Blocks until a watched directory changes, `wake()` is called, or `timeout` seconds pass.
    @discardableResult
    public func wait(timeout: TimeInterval) -> Wake {
        var descriptors = [pollfd(fd: wakeReader, events: Int16(POLLIN), revents: 0)]
        var limit = timeout
        switch mode {
        case .inotify: descriptors.append(pollfd(fd: inotifyDescriptor, events: Int16(POLLIN), revents: 0))
        case .polling(let interval): limit = min(timeout, interval)
        }
        let milliseconds = Int32(max(0, min(limit, 86_400) * 1000).rounded(.up))
        let ready = poll(&descriptors, nfds_t(descriptors.count), milliseconds)
        if ready > 0 && descriptors[0].revents != 0 {
            drain(wakeReader)
            if descriptors.count > 1 && descriptors[1].revents != 0 { drain(inotifyDescriptor) }
            return .woken
        }
        if ready > 0 {
            drain(inotifyDescriptor)
            return .changed
        }
        if case .polling = mode, limit < timeout { return .changed }
        return .timedOut
    }

    /// Ends the current (or next) `wait` early. Async-signal-safe.
    public func wake() {
        var byte: UInt8 = 1
        _ = Glibc.write(wakeWriter, &byte, 1)
    }

    private func drain(_ descriptor: Int32) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Glibc.read(descriptor, &buffer, buffer.count) > 0 {}
    }
}
