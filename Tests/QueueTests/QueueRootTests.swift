import Foundation
import Queue
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(3))) struct QueueRootTests {
    @Test func resolvesFlagThenEnvironmentThenHome() {
        #expect(QueueRoot.resolve("/q", environment: ["CONDUCTOR_HOME": "/env", "HOME": "/home/u"]).path == "/q")
        #expect(QueueRoot.resolve(nil, environment: ["CONDUCTOR_HOME": "/env", "HOME": "/home/u"]).path == "/env")
        #expect(QueueRoot.resolve(nil, environment: ["HOME": "/home/u"]).path == "/home/u/.claude-code/orchestrator")
    }

    @Test func createsPrivateDirectories() throws {
        let directory = TemporaryDirectory()
        let root = QueueRoot(path: directory.appending("deep/queue"))
        try root.create()
        try root.slot(3).create()
        for path in [root.path, root.workersDirectory, root.slot(3).path, root.slot(3).logsDirectory] {
            #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o700, "\(path)")
        }
        #expect(root.existingSlots().map(\.id) == [3])
    }

    @Test func refusesAWorldWritableQueue() throws {
        let directory = TemporaryDirectory()
        let path = directory.appending("open")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o777])
        chmod(path, 0o777)
        let error = #expect(throws: QueueError.self) { try QueueRoot(path: path).create() }
        #expect(error?.description.contains("others can write to it") == true)
    }

    @Test func refusesASymlinkedQueue() throws {
        let directory = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.appending("real"), withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: directory.appending("link"), withDestinationPath: directory.appending("real"))
        #expect(throws: QueueError.symlink(directory.appending("link"))) { try QueueRoot(path: directory.appending("link")).create() }
    }
}
