import FoundationEssentials
import Queue
import Dispatch
import Synchronization

/// Renews the lease of the task a remote worker runs, from a background thread with a queue
/// (a database connection) of its own, three times per lease; tells the worker once when the
/// lease is lost.
///
/// `@unchecked Sendable`: `tasks` is used only on `renewals`, a serial queue.
final class LeaseKeeper: @unchecked Sendable {
    let queue: TaskQueueAddress
    let lease: Double
    private let log: @Sendable (String) -> Void
    private let renewals = DispatchQueue(label: "conductor.remote-worker.lease")
    /// The keeper's own queue, opened again after an error.
    private var tasks: (any TaskQueue)?

    init(queue: TaskQueueAddress, lease: Double, log: @escaping @Sendable (String) -> Void) {
        self.queue = queue
        self.lease = lease
        self.log = log
    }

    /// One claim's renewals, until `stop()`. `@unchecked Sendable`: the timer is only cancelled,
    /// which Dispatch allows from any thread.
    final class Renewal: @unchecked Sendable {
        fileprivate let timer: DispatchSourceTimer
        fileprivate let lost = Mutex(false)

        fileprivate init(timer: DispatchSourceTimer) {
            self.timer = timer
        }

        /// True once a renewal found the claim no longer the task's current one.
        var isLost: Bool { lost.withLock { $0 } }

        func stop() {
            timer.cancel()
        }
    }

    /// Starts renewing `claim`; `lost` is called once, from the keeper's thread, when the lease
    /// turns out lost. A queue that cannot be reached is retried at the next renewal (the
    /// lease runs out meanwhile, if it stays away).
    func keep(_ claim: TaskClaim, lost: @escaping @Sendable () -> Void) -> Renewal {
        let timer = DispatchSource.makeTimerSource(queue: renewals)
        let renewal = Renewal(timer: timer)
        timer.schedule(deadline: .now() + lease / 3, repeating: lease / 3)
        timer.setEventHandler { [self] in
            guard !renewal.isLost else { return }
            do {
                let tasks = try self.tasks ?? queue.open()
                self.tasks = tasks
                guard try !tasks.heartbeat(claim, lease: lease) else { return }
                renewal.lost.withLock { $0 = true }
                lost()
            } catch {
                self.tasks = nil
                log("renewing the lease of task \(claim.task) failed: \(queue.scrub("\(error)")); trying again in \((lease / 3).formatted()) s")
            }
        }
        timer.resume()
        return renewal
    }
}
