import Foundation
import Postgres
import PostgresQueue
import Queue
import Testing
import TestSupport

/// The engines behind `TaskQueue`, for tests that every one of them must pass.
enum TaskQueueBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case postgres, directory

    var testDescription: String { rawValue }

    /// The backends this machine can run: PostgreSQL only where it is installed.
    static var available: [Self] { PostgresServer.unavailable == nil ? allCases : [.directory] }

    /// A new, empty queue: a database of its own on the suite's server (`SharedPostgresServer`),
    /// or a temporary directory.
    func freshQueue() throws -> QueueUnderTest {
        switch self {
        case .postgres:
            let url = try SharedPostgresServer.freshDatabase(prefix: "conformance")
            return try QueueUnderTest(directory: nil) { try PostgresTaskQueue(connection: PostgresConnection(url: url)) }
        case .directory:
            let directory = TemporaryDirectory("task-queue")
            let path = directory.appending("queue")
            return try QueueUnderTest(directory: directory) { try DirectoryTaskQueue(directory: path) }
        }
    }
}

/// A fresh queue under test: its first object, and more objects on the same queue (another
/// connection, another worker's view of the directory), as each worker has its own.
final class QueueUnderTest: @unchecked Sendable {
    /// Opens another object on the queue.
    let open: @Sendable () throws -> TaskQueue
    /// The first object opened.
    let queue: TaskQueue
    /// Kept for as long as the queue is used, and deleted with it.
    private let directory: TemporaryDirectory?

    init(directory: TemporaryDirectory?, open: @escaping @Sendable () throws -> TaskQueue) throws {
        self.directory = directory
        self.open = open
        queue = try open()
    }
}
