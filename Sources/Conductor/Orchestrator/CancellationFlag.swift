import Queue
import Synchronization

/// One run's "stop starting new work": raised from any thread (a signal handler's queue, a Swift
/// `Task` being cancelled), read by the run, and waking the run while it waits for its workers.
/// A raised flag stays raised, so each run is given a flag of its own.
public final class CancellationFlag: Sendable {
    private let state = Mutex<(raised: Bool, watchers: [ObjectIdentifier: DirectoryWatcher])>((false, [:]))

    public init() {}

    /// True once `raise()` was called.
    public var isRaised: Bool { state.withLock { $0.raised } }

    /// Raises the flag and wakes the runs it was given to.
    public func raise() {
        state.withLock { state in
            state.raised = true
            return Array(state.watchers.values)
        }.forEach { $0.wake() }
    }

    /// Wakes the runs the flag was given to without raising it (a started worker died too often:
    /// they stop on that).
    func wakeRuns() {
        state.withLock { Array($0.watchers.values) }.forEach { $0.wake() }
    }

    /// Makes `raise()` wake `watcher`, a run's, until `forget(_:)`.
    func wake(_ watcher: DirectoryWatcher) {
        state.withLock { $0.watchers[ObjectIdentifier(watcher)] = watcher }
    }

    /// Stops `raise()` waking `watcher` (its run ended).
    func forget(_ watcher: DirectoryWatcher) {
        state.withLock { $0.watchers[ObjectIdentifier(watcher)] = nil }
    }
}
