import FoundationEssentials
import Dispatch
import FoundationShims
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Copies what a child writes into a pipe to a log file of bounded size: the first `limit / 2`
/// bytes, then (when more was written) a line `… N bytes cut …`, then the last `limit / 2` bytes.
///
/// Runs on the descriptor loop; `finished` is signalled once the file is complete.
final class LogCapture: Sendable {
    private struct State {
        var file: Int32
        var written = 0
        /// Bytes past the head, of which only the last `half` are kept.
        var tail: [UInt8] = []
        var cut = 0
        var done = false
    }

    private let state: Mutex<State>
    private let half: Int
    private let finished = DispatchSemaphore(value: 0)
    private let token = Mutex<DescriptorLoop.Token?>(nil)

    /// The marker put where output was cut.
    static func marker(cut: Int) -> String { "\n… \(cut) bytes cut …\n" }

    /// Opens (truncating) `path` and starts copying from `reader`, which the loop owns from then on
    /// (the caller closes it only when this throws).
    ///
    /// - Throws: `LogCaptureError` when the log file cannot be opened.
    init(reader: Int32, path: String, limit: Int) throws {
        _ = fcntl(reader, F_SETFL, O_NONBLOCK)
        let file = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard file >= 0 else { throw LogCaptureError(path: path, code: errno) }
        state = Mutex(State(file: file))
        half = max(1, limit / 2)
        let token = DescriptorLoop.shared.watch(reader) { [self] in drain(reader) }
        self.token.withLock { $0 = token }
    }

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
                write(Array(head), to: state.file)
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

    private func complete() {
        let first = state.withLock { state -> Bool in
            guard !state.done else { return false }
            state.done = true
            if state.tail.count > half {
                state.cut += state.tail.count - half
                state.tail.removeFirst(state.tail.count - half)
            }
            if state.cut > 0 { write(Array(Self.marker(cut: state.cut).utf8), to: state.file) }
            write(state.tail, to: state.file)
            close(state.file)
            return true
        }
        if first { finished.signal() }
    }

    private func write(_ bytes: [UInt8], to file: Int32) {
        RawFile.write(Data(bytes), to: file)
    }
}

/// A task log that could not be opened.
public struct LogCaptureError: Error, CustomStringConvertible {
    public let path: String
    public let code: Int32

    public var description: String {
        "cannot open the task log \(path): \(String(cString: strerror(code)))"
    }
}
