import Foundation
import Queue
import Testing
import TestSupport

/// `AtomicFile.rewrite`, which a slot's files go through: a whole version for every reader, and no
/// new inode per write.
@Suite(.timeLimit(.minutes(3))) struct AtomicRewriteTests {
    private static func inode(_ path: String) throws -> UInt64 {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? UInt64)
    }

    private static func status(seq: Int) -> WorkerStatus {
        WorkerStatus(status: .working, pid: 42, taskId: "t\(seq)", seq: seq, since: Date(timeIntervalSince1970: 1000), heartbeat: Date(timeIntervalSince1970: 1001))
    }

    @Test func aSlotsFilesAreWrittenIntoTheSpareAndSwappedIn() throws {
        let queue = QueueRoot(path: TemporaryDirectory().appending("queue"))
        let slot = queue.slot(0)
        try slot.create()
        let spare = AtomicFile.spare(of: slot.statusFile)
        try slot.write(Self.status(seq: 1))
        for seq in 2...6 {
            let spareBefore = try? Self.inode(spare)
            try slot.write(Self.status(seq: seq))
            #expect(try slot.readStatus() == Self.status(seq: seq))
            // The previous version is now the spare; the new one took the spare's inode.
            #expect(try AtomicFile.readJSON(WorkerStatus.self, from: spare) == Self.status(seq: seq - 1))
            if let spareBefore { #expect(try Self.inode(slot.statusFile) == spareBefore, "write \(seq) made a new inode") }
        }
        let mode = try FileManager.default.attributesOfItem(atPath: slot.statusFile)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func aReaderHoldingAnOldVersionKeepsItWhole() throws {
        let directory = TemporaryDirectory()
        let path = directory.appending("status.json")
        let first = Data(repeating: UInt8(ascii: "a"), count: 4096)
        try AtomicFile.rewrite(first, to: path)
        try AtomicFile.rewrite(Data("second".utf8), to: path)
        try AtomicFile.rewrite(Data("third".utf8), to: path)
        // The reader opened the current version; two more writes would reuse its inode.
        let reader = try #require(FileHandle(forReadingAtPath: path))
        defer { try? reader.close() }
        try AtomicFile.rewrite(Data("fourth".utf8), to: path)
        try AtomicFile.rewrite(Data("fifth".utf8), to: path)
        try AtomicFile.rewrite(Data("sixth".utf8), to: path)
        #expect(try reader.readToEnd() == Data("third".utf8))
        #expect(try AtomicFile.read(path) == Data("sixth".utf8))
    }

    @Test func aWatcherOfTheNameWakesForEachVersion() throws {
        let directory = TemporaryDirectory()
        let path = directory.appending("task.json")
        try AtomicFile.rewrite(Data("{}".utf8), to: path)
        try AtomicFile.rewrite(Data("{}".utf8), to: path)
        let watcher = try DirectoryWatcher(directories: [directory.path], names: ["task.json"], mode: .inotify)
        // The watcher goes quiet. Not at once, maybe: a child another test's thread forked while a
        // write was open holds the descriptor until it execs, and that last close is an event.
        #expect((0..<100).contains { _ in watcher.wait(timeout: 0.05) == .timedOut })
        try AtomicFile.rewrite(Data("{\"seq\":3}".utf8), to: path)
        #expect(watcher.wait(timeout: 30) == .changed([0]))
    }

    @Test func aPlantedLinkAsTheSpareIsNeverWrittenThrough() throws {
        let directory = TemporaryDirectory()
        let path = directory.appending("status.json")
        let outside = directory.appending("precious")
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: outside))
        try AtomicFile.rewrite(Data("one".utf8), to: path)
        try FileManager.default.linkItem(atPath: outside, toPath: AtomicFile.spare(of: path))
        try AtomicFile.rewrite(Data("two".utf8), to: path)
        try FileManager.default.removeItem(atPath: AtomicFile.spare(of: path))
        try FileManager.default.createSymbolicLink(atPath: AtomicFile.spare(of: path), withDestinationPath: outside)
        try AtomicFile.rewrite(Data("three".utf8), to: path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: outside)) == Data("keep me".utf8))
        #expect(try AtomicFile.read(path) == Data("three".utf8))
    }
}
