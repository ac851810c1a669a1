import Synchronization

/// A flag one thread raises and others read: "stop starting new work".
public final class CancellationFlag: Sendable {
    private let raised = Mutex(false)

    public init() {}

    public var isRaised: Bool { raised.withLock { $0 } }

    public func raise() {
        raised.withLock { $0 = true }
    }

    /// Clears the flag (a run that saw it has ended).
    public func lower() {
        raised.withLock { $0 = false }
    }
}
