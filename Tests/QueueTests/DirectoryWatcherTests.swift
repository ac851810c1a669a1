import Foundation
import Queue
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(3))) struct DirectoryWatcherTests {
    @Test(arguments: [DirectoryWatcher.Mode.inotify, .polling(interval: 0.02)])
    func aChangeBeforeTheWaitIsNotMissed(mode: DirectoryWatcher.Mode) throws {
        let directory = TemporaryDirectory()
        let watcher = try DirectoryWatcher(directories: [directory.path], mode: mode)
        try AtomicFile.write(Data("{}".utf8), to: directory.appending("task.json"))
        #expect(watcher.wait(timeout: 30) == .changed([0]))
    }

    @Test func inotifyWakesForARenameIntoTheDirectory() throws {
        let directory = TemporaryDirectory()
        let watcher = try DirectoryWatcher(directories: [directory.path], mode: .inotify)
        #expect(watcher.mode == .inotify)
        #expect(watcher.wait(timeout: 0.05) == .timedOut)
        let writer = Thread { try? AtomicFile.write(Data("{}".utf8), to: directory.appending("status.json")) }
        writer.start()
        #expect(watcher.wait(timeout: 30) == .changed([0]))
    }

    @Test func onlyTheNamedFilesCountAndTheChangedDirectoryIsReported() throws {
        let first = TemporaryDirectory(), second = TemporaryDirectory()
        let watcher = try DirectoryWatcher(directories: [first.path, second.path], names: ["task.json"], mode: .inotify)
        try AtomicFile.write(Data("{}".utf8), to: first.appending("status.json"))
        #expect(watcher.wait(timeout: 0.2) == .timedOut)
        try AtomicFile.write(Data("{}".utf8), to: second.appending("task.json"))
        #expect(watcher.wait(timeout: 30) == .changed([1]))
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
