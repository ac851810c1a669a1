import Foundation
import FoundationShims
import Queue
import Testing
import TestSupport

/// A durable atomic write survives a machine crash: the file is fsync'd before the rename, and its
/// directory after it, so the new name is on disk too (as nq and Maildir do).
@Suite(.timeLimit(.minutes(3))) struct DurableWriteTests {
    @Test func syncingADirectorySaysWhichOneFailed() throws {
        let directory = TemporaryDirectory()
        let missing = directory.appending("gone")
        #expect(throws: QueueError.io("open directory \(missing) to fsync it", ENOENT)) { try AtomicFile.syncDirectory(missing) }
        try AtomicFile.syncDirectory(directory.path)
    }

    @Test func aDurableWriteLeavesOnlyTheFile() throws {
        let directory = TemporaryDirectory()
        let path = directory.appending("results.jsonl")
        try AtomicFile.write(Data("one\n".utf8), to: path, durable: true)
        try AtomicFile.write(Data("two\n".utf8), to: path, durable: true)
        #expect(try AtomicFile.read(path) == Data("two\n".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["results.jsonl"])
    }

    @Test func readAllGrowsPastItsSizeHint() throws {
        let directory = TemporaryDirectory()
        let path = directory.appending("big")
        let bytes = Data((0..<200_000).map { UInt8($0 % 251) })
        try AtomicFile.write(bytes, to: path)
        let descriptor = open(path, O_RDONLY)
        defer { close(descriptor) }
        #expect(RawFile.readAll(descriptor, sizeHint: 10) == bytes)
    }
}
