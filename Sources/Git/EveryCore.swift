import Dispatch
import FoundationEssentials
import Synchronization

/// Checks run on every core: small batches of positions handed out in order, so the threads
/// stay busy to the end whatever each item costs.
enum EveryCore {
    /// True when `isTrue(position)` holds for every position in `0..<count`; the threads stop at
    /// the first that does not.
    static func allSatisfy(_ count: Int, _ isTrue: @Sendable (Int) -> Bool) -> Bool {
        let batch = 8
        let next = Atomic(0)
        let failed = Atomic(false)
        DispatchQueue.concurrentPerform(iterations: min(ProcessInfo.processInfo.activeProcessorCount, (count + batch - 1) / batch)) { _ in
            while !failed.load(ordering: .relaxed) {
                let start = next.add(batch, ordering: .relaxed).oldValue
                guard start < count else { return }
                for position in start..<min(start + batch, count) where !isTrue(position) {
                    failed.store(true, ordering: .relaxed)
                    return
                }
            }
        }
        return !failed.load(ordering: .relaxed)
    }
}
