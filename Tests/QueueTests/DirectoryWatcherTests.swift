import Foundation
import Queue
import Testing
import TestSupport

@Suite struct DirectoryWatcherTests {
    @Test(arguments: [DirectoryWatcher.Mode.inotify, .polling(interval: 0.02)])
    func aChangeBeforeTheWaitIsNotMissed(mode: DirectoryWatcher.Mode) throws {
        let directory = TemporaryDirectory()
        let watcher = try DirectoryWatcher(directories: [directory.path], mode: mode)
        try AtomicFile.write(Data("{}".utf8), to: directory.appending("task.json"))
        #expect(watcher.wait(timeout: 30) == .changed)
    }

    @Test func inotifyWakesForARenameIntoTheDirectory() throws {
        let directory = TemporaryDirectory()
        let watcher = try DirectoryWatcher(directories: [directory.path], mode: .inotify)
        #expect(watcher.mode == .inotify)
        let writer = Thread { try? AtomicFile.write(Data("{}".utf8), to: directory.appending("status.json")) }
        writer.start()
        #expect(watcher.wait(timeout: 30) == .changed)
        #expect(watcher.wait(timeout: 0.05) == .timedOut)
    }

    @Test func wakeEndsAWaitFromAnotherThread() throws {
        let directory = TemporaryDirectory()
        let watcher = try DirectoryWatcher(directories: [directory.path], mode: .inotify)
        let waker = Thread {
            usleep(50_000)
            watcher.wake()
        }
        waker.start()
        #expect(watcher.wait(timeout: 60) == .woken)
    }

    @Test func aMissingDirectoryIsAnError() {
        #expect(throws: QueueError.self) { try DirectoryWatcher(directories: ["/nonexistent/conductor"], mode: .inotify) }
    }
}
