import FoundationEssentials
import Dispatch
import FoundationShims
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
public final class DirectoryWatcher: Sendable {
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
        /// Something changed in these directories (indices into `directories`; all of them when polling).
        case changed(Set<Int>)
        case timedOut
        case woken
    }

    public let mode: Mode
    /// The directories watched, in the order given.
    public let directories: [String]
    /// The file names whose arrival or removal counts; nil for every name. Names starting with
    /// `.` (temporary files of atomic writes, the lock) never count.
    public let names: Set<String>?
    private let inotifyDescriptor: Int32
    /// Each inotify watch's index into `directories`.
    private let watchDescriptors: [Int32: Int]
    private let wakeReader: Int32
    private let wakeWriter: Int32

    /// Starts watching `directories` for files created, written, moved in or deleted.
    public init(directories: [String], names: Set<String>? = nil, mode requested: Mode = .fromEnvironment) throws {
        self.directories = directories
        self.names = names
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
        var watches: [Int32: Int] = [:]
        if descriptor >= 0 {
            for (index, directory) in directories.enumerated() {
                let watch = inotify_add_watch(descriptor, directory, events)
                guard watch >= 0 else {
                    let code = errno
                    close(descriptor)
                    close(wakeReader)
                    close(wakeWriter)
                    throw QueueError.io("watch \(directory)", code)
                }
                watches[watch] = index
            }
        }
        self.mode = mode
        inotifyDescriptor = descriptor
        watchDescriptors = watches
    }

    deinit {
        if inotifyDescriptor >= 0 { close(inotifyDescriptor) }
        close(wakeReader)
        close(wakeWriter)
    }

    /// Blocks until a watched directory changes, `wake()` is called, or `timeout` seconds pass.
    @discardableResult
    public func wait(timeout: TimeInterval) -> Wake {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let remaining = deadline.timeIntervalSinceNow
            var descriptors = [pollfd(fd: wakeReader, events: Int16(POLLIN), revents: 0)]
            var limit = max(0, remaining)
            switch mode {
            case .inotify: descriptors.append(pollfd(fd: inotifyDescriptor, events: Int16(POLLIN), revents: 0))
            case .polling(let interval): limit = min(limit, interval)
            }
            let ready = poll(&descriptors, nfds_t(descriptors.count), Int32(min(limit, 86_400) * 1000 + 0.999))
            if ready > 0 && descriptors[0].revents != 0 {
                drain(wakeReader)
                return .woken
            }
            if ready > 0 {
                let changed = readEvents()
                if !changed.isEmpty { return .changed(changed) }
                continue
            }
            if case .polling = mode, limit < remaining { return .changed(Set(directories.indices)) }
            if deadline.timeIntervalSinceNow <= 0 { return .timedOut }
        }
    }

    /// Ends the current (or next) `wait` early. Async-signal-safe.
    public func wake() {
        var byte: UInt8 = 1
        _ = Glibc.write(wakeWriter, &byte, 1)
    }

    /// Reads the queued inotify events; returns the directories where a counted name changed.
    private func readEvents() -> Set<Int> {
        var changed = Set<Int>()
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(inotifyDescriptor, $0.baseAddress!, $0.count) }
            guard count > 0 else { return changed }
            var offset = 0
            buffer.withUnsafeBytes { bytes in
                while offset + MemoryLayout<inotify_event>.size <= count {
                    let event = bytes.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    let nameStart = offset + MemoryLayout<inotify_event>.size
                    let nameBytes = bytes[nameStart..<(nameStart + Int(event.len))].prefix { $0 != 0 }
                    let name = String(decoding: nameBytes, as: UTF8.self)
                    if let index = watchDescriptors[event.wd], !name.hasPrefix("."), names?.contains(name) ?? true {
                        changed.insert(index)
                    }
                    offset = nameStart + Int(event.len)
                }
            }
        }
    }

    private func drain(_ descriptor: Int32) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Glibc.read(descriptor, &buffer, buffer.count) > 0 {}
    }
}
