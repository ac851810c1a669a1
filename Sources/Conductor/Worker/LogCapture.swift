import FoundationEssentials
import Dispatch
import FoundationShims
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Copies what a child writes into a pipe to a log file of bounded size: the first `limit / 2`
/// bytes, then (when more was written) a line `… N bytes cut …`, then the last `limit / 2` bytes.
/// The file is made when the first byte comes: a stream that stays empty leaves none (a new file
/// is most of what a tiny task costs on ext4, whose allocator searches past recently freed inodes).
///
/// When asked, it also hands each complete line to `onLine` as it comes (lines longer than
/// `longestLine` are skipped), for readers of an agent's event stream.
///
/// Runs on the descriptor loop; `finished` is signalled once the file is complete.
final class LogCapture: Sendable {
    private struct State {
        /// The log, once opened.
        var file: Int32?
        /// True once this capture made the log.
        var made = false
        /// The first failure to open or write the log.
        var failure: LogCaptureError?
        var written = 0
        /// Bytes past the head, of which only the last `half` are kept.
        var tail: [UInt8] = []
        var cut = 0
        var done = false
        /// The start of a line not yet ended, for `onLine`.
        var partialLine: [UInt8] = []
        /// True while the rest of an overlong line is being skipped.
        var skippingLine = false
    }

    /// A handler of the lines written to the pipe, called on the descriptor loop, one line at a time.
    typealias LineHandler = @Sendable (ArraySlice<UInt8>) -> Void

    private let state = Mutex(State())
    /// The log's path.
    let path: String
    private let half: Int
    private let finished = DispatchSemaphore(value: 0)
    private let token = Mutex<DescriptorLoop.Token?>(nil)
    private let onLine: LineHandler?
    /// Lines longer than this are not handed to `onLine`.
    static let longestLine = 1 << 20

    /// The marker put where output was cut.
    static func marker(cut: Int) -> String { "\n… \(cut) bytes cut …\n" }

    /// Removes an older file at `path` (so the file is there afterwards only when this capture
    /// wrote it) and starts copying from `reader`, which the loop owns from then on.
    init(reader: Int32, path: String, limit: Int, onLine: LineHandler? = nil) {
        _ = fcntl(reader, F_SETFL, O_NONBLOCK)
        unlink(path)
        self.path = path
        half = max(1, limit / 2)
        self.onLine = onLine
        let token = DescriptorLoop.shared.watch(reader) { [self] in drain(reader) }
        self.token.withLock { $0 = token }
    }

    /// Why output was not kept, when some came and the log could not be opened or written;
    /// complete after `wait`.
    var failure: LogCaptureError? { state.withLock { $0.failure } }

    /// True when this capture made the log (output came, and the log could be opened and kept
    /// some of it); complete after `wait`.
    var made: Bool { state.withLock { $0.made } }

    /// Waits until the writers closed the pipe; after `timeout` seconds (a process outside the
    /// task's group still holds it) the capture ends with what it has.
    func wait(timeout: TimeInterval) {
        if finished.wait(timeout: .now() + timeout) == .success {
            finished.signal()
            return
        }
        if let token = token.withLock({ $0 }) {
            DescriptorLoop.shared.release(token) { [self] in complete() }
        }
        finished.wait()
        finished.signal()
    }

    private func drain(_ reader: Int32) -> DescriptorLoop.Next {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(reader, &chunk, chunk.count)
            if count > 0 {
                keep(chunk[0..<count])
                if let onLine { splitLines(chunk[0..<count], to: onLine) }
                continue
            }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && errno == EAGAIN { return .keep }
            complete()
            return .close
        }
    }

    private func keep(_ bytes: ArraySlice<UInt8>) {
        state.withLock { state in
            var bytes = bytes
            if state.written < half {
                let head = bytes.prefix(half - state.written)
                write(Array(head), into: &state)
                state.written += head.count
                bytes = bytes.dropFirst(head.count)
            }
            guard !bytes.isEmpty else { return }
            state.tail.append(contentsOf: bytes)
            if state.tail.count > 2 * half {
                let excess = state.tail.count - half
                state.tail.removeFirst(excess)
                state.cut += excess
            }
        }
    }

    /// Hands each line `bytes` completes to `handler`, keeping the start of an unfinished one.
    private func splitLines(_ bytes: ArraySlice<UInt8>, to handler: LineHandler) {
        var lines: [ArraySlice<UInt8>] = []
        state.withLock { state in
            var rest = bytes
            while let newline = rest.firstIndex(of: 0x0A) {
                if !state.skippingLine {
                    lines.append(state.partialLine.isEmpty ? rest[..<newline] : ArraySlice(state.partialLine + rest[..<newline]))
                }
                state.partialLine = []
                state.skippingLine = false
                rest = rest[(newline + 1)...]
            }
            guard !state.skippingLine else { return }
            state.partialLine += rest
            if state.partialLine.count > Self.longestLine {
                state.partialLine = []
                state.skippingLine = true
            }
        }
        lines.forEach(handler)
    }

    private func complete() {
        let first = state.withLock { state -> Bool in
            guard !state.done else { return false }
            state.done = true
            if state.tail.count > half {
                state.cut += state.tail.count - half
                state.tail.removeFirst(state.tail.count - half)
            }
            if state.cut > 0 { write(Array(Self.marker(cut: state.cut).utf8), into: &state) }
            write(state.tail, into: &state)
            if let file = state.file {
                // A log that writing failed to put anything in (a full disk) is no log.
                var info = stat()
                if state.failure != nil, fstat(file, &info) == 0, info.st_size == 0, unlink(path) == 0 { state.made = false }
                close(file)
            }
            return true
        }
        if first { finished.signal() }
    }

    /// Writes `bytes` to the log, opening (truncating) it first when this is its first output.
    private func write(_ bytes: [UInt8], into state: inout State) {
        guard !bytes.isEmpty else { return }
        if state.file == nil && state.failure == nil {
            let file = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            if file >= 0 {
                state.file = file
                state.made = true
            } else {
                state.failure = LogCaptureError(path: path, code: errno, writing: false)
                return
            }
        }
        guard let file = state.file else { return }
        if !RawFile.write(Data(bytes), to: file), state.failure == nil {
            state.failure = LogCaptureError(path: path, code: errno, writing: true)
        }
    }
}

/// A task log that could not be opened or written: the output meant for it was not (all) kept.
package struct LogCaptureError: Error, CustomStringConvertible, Sendable {
    package let path: String
    package let code: Int32
    /// True when writing failed, false when opening did.
    package let writing: Bool

    package var description: String {
        "cannot \(writing ? "write" : "open") the task log \(path): \(String(cString: strerror(code)))"
    }
}
