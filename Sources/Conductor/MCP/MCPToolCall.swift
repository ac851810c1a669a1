import FoundationEssentials
import FoundationShims

/// One `tools/call` in progress: whether the client cancelled it (`notifications/cancelled`),
/// what to do then, and where its progress goes (when the request carried a `progressToken`).
public final class MCPToolCall: @unchecked Sendable {
    /// Sends `notifications/progress`: progress so far, the total, and a line saying what happened.
    public typealias Progress = @Sendable (_ progress: Double, _ total: Double, _ message: String) -> Void

    private let lock = Lock()
    private var cancelled = false
    private var onCancel: [@Sendable () -> Void] = []
    private let progress: Progress?

    init(progress: Progress?) {
        self.progress = progress
    }

    var isCancelled: Bool { lock.withLock { cancelled } }

    /// Marks the call cancelled and runs what was registered for it, once.
    func cancel() {
        let handlers = lock.withLock {
            defer { onCancel = [] }
            cancelled = true
            return onCancel
        }
        handlers.forEach { $0() }
    }

    /// Runs `handler` when the call is cancelled (now, when it already is).
    func whenCancelled(_ handler: @escaping @Sendable () -> Void) {
        let now = lock.withLock {
            if !cancelled { onCancel.append(handler) }
            return cancelled
        }
        if now { handler() }
    }

    /// Reports progress, when the client asked for it.
    func report(_ value: Double, of total: Double, _ message: String) {
        progress?(value, total, message)
    }
}
