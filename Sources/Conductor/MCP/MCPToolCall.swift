import FoundationEssentials
import Synchronization

/// One `tools/call` in progress: whether the client cancelled it (`notifications/cancelled`),
/// what to do then, and where its progress goes (when the request carried a `progressToken`).
package final class MCPToolCall: Sendable {
    /// Sends `notifications/progress`: progress so far, the total, and a line saying what happened.
    package typealias Progress = @Sendable (_ progress: Double, _ total: Double, _ message: String) -> Void

    /// Whether the call was cancelled, and what to run when it is.
    private let state = Mutex<(cancelled: Bool, onCancel: [@Sendable () -> Void])>((false, []))
    private let progress: Progress?

    init(progress: Progress?) {
        self.progress = progress
    }

    var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// Marks the call cancelled and runs what was registered for it, once.
    func cancel() {
        let handlers = state.withLock { state in
            defer { state.onCancel = [] }
            state.cancelled = true
            return state.onCancel
        }
        handlers.forEach { $0() }
    }

    /// Runs `handler` when the call is cancelled (now, when it already is).
    func whenCancelled(_ handler: @escaping @Sendable () -> Void) {
        let now = state.withLock { state in
            if !state.cancelled { state.onCancel.append(handler) }
            return state.cancelled
        }
        if now { handler() }
    }

    /// Reports progress, when the client asked for it.
    func report(_ value: Double, of total: Double, _ message: String) {
        progress?(value, total, message)
    }
}
