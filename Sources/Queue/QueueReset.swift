import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

/// Stops a queue's workers and clears its slots (`conductor reset`).
package enum QueueReset {
    /// Stops every live worker of `root` by the pid in its lock (never by process name), then
    /// removes the slots.
    ///
    /// - Parameter force: go ahead even while an orchestrator is running on the queue.
    /// - Returns: the pids that were stopped.
    /// - Throws: `QueueError.orchestratorRunning` when an orchestrator runs and `force` is false.
    @discardableResult
    package static func reset(_ root: QueueRoot, force: Bool, grace: TimeInterval = 10, log: (String) -> Void = { _ in }) throws -> [Int32] {
        if !force, let pid = FileLock.holder(of: root.orchestratorLockFile) {
            throw QueueError.orchestratorRunning(root: root.path, pid: pid)
        }
        let stopped = stopWorkers(root, grace: grace, log: log)
        for slot in root.existingSlots() {
            do {
                try FileManager.default.removeItem(atPath: slot.path)
            } catch {
                throw QueueError.io("remove \(slot.path) (\(error))", EIO)
            }
        }
        return stopped
    }

    /// Sends SIGTERM to every live worker of `root` (each records its running task `cancelled`),
    /// and SIGKILL to any that still holds its lock after `grace` seconds. Slots stay as they are.
    ///
    /// - Returns: the pids that were signalled.
    @discardableResult
    package static func stopWorkers(_ root: QueueRoot, grace: TimeInterval = 10, log: (String) -> Void = { _ in }) -> [Int32] {
        var stopped: [Int32] = []
        let slots = root.existingSlots()
        for slot in slots {
            guard case .held(let owner) = SlotLock.probe(slot) else { continue }
            if let expected = owner.startTime, let actual = ProcessInfo.startTime(of: owner.pid), expected != actual {
                log("slot \(slot.id): pid \(owner.pid) now belongs to another process; not signalled")
                continue
            }
            log("stopping worker \(slot.id) (pid \(owner.pid))")
            kill(owner.pid, SIGTERM)
            stopped.append(owner.pid)
        }
        let deadline = Date().addingTimeInterval(grace)
        for slot in slots {
            let released = Polling.wait(until: deadline, every: 0.02) {
                if case .held = SlotLock.probe(slot) { false } else { true }
            }
            if !released, case .held(let owner) = SlotLock.probe(slot) {
                log("worker \(slot.id) (pid \(owner.pid)) did not stop in \(Int(grace)) s; killing it")
                kill(owner.pid, SIGKILL)
                usleep(100_000)
            }
        }
        return stopped
    }
}
