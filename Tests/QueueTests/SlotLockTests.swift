import Foundation
import Queue
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(3))) struct SlotLockTests {
    /// A slot in a temporary queue; the queue lives as long as this value.
    private final class SlotFixture {
        let directory = TemporaryDirectory()
        let slot: WorkerSlot

        init() throws {
            let root = QueueRoot(path: directory.appending("q"))
            try root.create()
            slot = root.slot(0)
            try slot.create()
        }
    }

    @Test func oneOwnerAtATimeAndTheLockNamesIt() throws {
        let fixture = try SlotFixture()
        let slot = fixture.slot
        let lock = try SlotLock.acquire(slot)
        #expect(try String(contentsOfFile: slot.lockDirectory + "/pid", encoding: .utf8).hasPrefix("\(getpid())\n"))
        #expect(SlotLock.probe(slot) == .held(SlotLock.Owner(pid: getpid(), startTime: ProcessInfo.startTime(of: getpid()))))
        #expect(throws: QueueError.slotOwned(slot: slot.path, pid: getpid())) { try SlotLock.acquire(slot) }
        lock.release()
        #expect(SlotLock.probe(slot) == .free)
        #expect(!FileManager.default.fileExists(atPath: slot.lockDirectory))
        _ = try SlotLock.acquire(slot)
        withExtendedLifetime(fixture) {}
    }

    @Test func aDeadOwnersLockIsTakenOverAndLogged() throws {
        let fixture = try SlotFixture()
        let slot = fixture.slot
        try FileManager.default.createDirectory(atPath: slot.lockDirectory, withIntermediateDirectories: false)
        try "999999\n".write(toFile: slot.lockDirectory + "/pid", atomically: false, encoding: .utf8)
        #expect(SlotLock.probe(slot) == .stale(SlotLock.Owner(pid: 999_999, startTime: nil)))
        nonisolated(unsafe) var messages: [String] = []
        let lock = try SlotLock.acquire(slot) { messages.append($0) }
        #expect(messages.count == 1)
        #expect(messages.first?.contains("999999") == true)
        #expect(SlotLock.probe(slot) == .held(SlotLock.Owner(pid: getpid(), startTime: ProcessInfo.startTime(of: getpid()))))
        lock.release()
        withExtendedLifetime(fixture) {}
    }

    @Test func aLockBeingFormedIsNotStale() throws {
        let fixture = try SlotFixture()
        let slot = fixture.slot
        try FileManager.default.createDirectory(atPath: slot.lockDirectory, withIntermediateDirectories: false)
        #expect(SlotLock.probe(slot) == .forming)
        #expect(throws: QueueError.slotOwned(slot: slot.path, pid: 0)) { try SlotLock.acquire(slot) }
        withExtendedLifetime(fixture) {}
    }
}
