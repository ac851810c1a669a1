import Conductor
import Queue
import Foundation
import Testing
import TestSupport

/// A remote batch's `batch.json` has a `remote` field (the queue without its password, the
/// remote, the workers' names); a local batch's record has none and reads and names its
/// branches as before.
@Suite(.timeLimit(.minutes(3))) struct RemoteBatchRecordTests {
    static let local = BatchRecordDecodingTests.oldRecord(directory: "/tmp/e1", agentArguments: "[]")

    @Test func aLocalRecordHasNoRemoteAndItsBranchesAreNumbered() throws {
        let record = try QueueJSON.decoder.decode(BatchRecord.self, from: Data(Self.local.utf8))
        #expect(record.remote == nil)
        #expect(record.branch(worker: 2) == "conductor/e1/w2")
        let written = String(decoding: try QueueJSON.encoder.encode(record), as: UTF8.self)
        #expect(!written.contains("remote"), "\(written)")
    }

    @Test func aRemoteRecordNamesItsWorkersBranchesAndNeverHoldsThePassword() throws {
        var record = try QueueJSON.decoder.decode(BatchRecord.self, from: Data(Self.local.utf8))
        record.remote = RemoteBatchRecord(queue: try #require(try TaskQueueAddress("postgres://conductor:s3cret@db:5432/conductor?sslmode=verify-full")), remoteName: "origin",
                                          remoteURL: "git@host:team/app.git", localWorkers: 1, workerNames: ["hostA-0", "vm-e1-0"])
        #expect(record.branch(worker: 0) == "conductor/e1/hostA-0")
        #expect(record.branch(worker: 1) == "conductor/e1/vm-e1-0")
        #expect(record.branch(worker: 2) == "conductor/e1/w2")
        let written = String(decoding: try QueueJSON.encoder.encode(record), as: UTF8.self)
        #expect(!written.contains("s3cret"), "\(written)")
        #expect(written.contains(#""queue":"postgres:\/\/conductor:***@db:5432\/conductor?sslmode=verify-full""#)
                || written.contains(#""queue":"postgres://conductor:***@db:5432/conductor?sslmode=verify-full""#), "\(written)")
        #expect(try QueueJSON.decoder.decode(BatchRecord.self, from: Data(written.utf8)) == record)
        #expect(record.queueProblem(try #require(try TaskQueueAddress("postgres://conductor:other@db:5432/conductor?sslmode=verify-full"))) == nil)
        #expect(record.queueProblem(try #require(try TaskQueueAddress("postgres://conductor:s3cret@db2/conductor")))?.contains("postgres://conductor:***@db:5432") == true)
    }
}
