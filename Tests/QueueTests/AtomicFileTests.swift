import Foundation
import Queue
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(3))) struct AtomicFileTests {
    @Test func roundTripsJSONWithPrivateMode() throws {
        let directory = TemporaryDirectory()
        let path = directory.appending("status.json")
        let status = WorkerStatus(status: .working, pid: 42, taskId: "t", seq: 7, since: Date(timeIntervalSince1970: 1000), heartbeat: Date(timeIntervalSince1970: 1001))
        try AtomicFile.writeJSON(status, to: path)
        #expect(try AtomicFile.readJSON(WorkerStatus.self, from: path) == status)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try AtomicFile.read(directory.appending("absent.json")) == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["status.json"])
    }

    /// The two ways a file is replaced: a new file renamed into place, or the spare swapped in.
    enum Writer: String, CaseIterable, Sendable {
        case write, rewrite

        func replace(_ data: Data, at path: String) throws {
            switch self {
            case .write: try AtomicFile.write(data, to: path)
            case .rewrite: try AtomicFile.rewrite(data, to: path)
            }
        }
    }

    @Test(arguments: Writer.allCases)
    func aReaderNeverSeesHalfAFile(_ writer: Writer) throws {
        let directory = TemporaryDirectory()
        let path = directory.appending("result.json")
        let sizes = [1, 300_000, 1_000_000]
        try writer.replace(Data(repeating: UInt8(ascii: "a"), count: 10), at: path)
        let thread = Thread {
            for round in 0..<300 {
                let byte = UInt8(ascii: round % 2 == 0 ? "b" : "c")
                try? writer.replace(Data(repeating: byte, count: sizes[round % sizes.count]), at: path)
            }
        }
        thread.start()
        var reads = 0
        while !thread.isFinished || reads < 300 {
            let data = try #require(try AtomicFile.read(path))
            let first = data.first!
            #expect(data.allSatisfy { $0 == first }, "a read mixed two writes")
            #expect([10, 1, 300_000, 1_000_000].contains(data.count), "a read saw a partial file of \(data.count) bytes")
            reads += 1
            if reads > 100_000 { break }
        }
        // Nothing is left beside the file but, for `rewrite`, its spare.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0 != "result.json" }
        #expect(leftovers == (writer == .rewrite ? [".result.json.next"] : []))
    }

    @Test func refusesToReadThroughAPlantedSymlink() throws {
        let directory = TemporaryDirectory()
        try "secret".write(toFile: directory.appending("target"), atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: directory.appending("task.json"), withDestinationPath: directory.appending("target"))
        #expect(throws: QueueError.symlink(directory.appending("task.json"))) { try AtomicFile.read(directory.appending("task.json")) }
        try AtomicFile.write(Data("new".utf8), to: directory.appending("task.json"))
        #expect(try String(contentsOfFile: directory.appending("target"), encoding: .utf8) == "secret")
        #expect(try AtomicFile.read(directory.appending("task.json")) == Data("new".utf8))
    }

    @Test func malformedJSONNamesTheFileAndField() throws {
        let directory = TemporaryDirectory()
        let path = directory.appending("task.json")
        try AtomicFile.write(Data(#"{"id": "x", "seq": "seven", "attempt": 1}"#.utf8), to: path)
        let error = #expect(throws: QueueError.self) { try AtomicFile.readJSON(TaskAssignment.self, from: path) }
        #expect(error?.description.contains(path) == true)
        #expect(error?.description.contains("\"seq\"") == true)
    }

    @Test(.enabled(if: FullDisk.isAvailable, "mounting a full tmpfs needs root"))
    func aFullDiskIsReportedAndLeavesNoTemporaryFile() throws {
        let directory = TemporaryDirectory()
        let disk = try FullDisk(at: directory.appending("full"))
        defer { disk.unmount() }
        let before = try FileManager.default.contentsOfDirectory(atPath: disk.path)
        let error = #expect(throws: QueueError.self) { try AtomicFile.write(Data(repeating: 0x78, count: 256 << 10), to: disk.path + "/result.json") }
        guard case .io(_, let code)? = error else {
            Issue.record("expected an I/O error, got \(String(describing: error))")
            return
        }
        #expect(code == ENOSPC, "errno \(code)")
        #expect(error?.description.contains("the disk is full") == true, "\(String(describing: error))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: disk.path) == before, "no temporary file is left behind")
    }
}
