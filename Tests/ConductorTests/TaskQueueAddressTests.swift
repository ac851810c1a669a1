import Conductor
import Foundation
import Testing

/// `--queue` (and `$CONDUCTOR_QUEUE`): a `postgres://` URL or a `file:///` directory names a
/// shared queue; a plain path stays a queue directory of worker slots.
@Suite(.timeLimit(.minutes(3)))
struct TaskQueueAddressTests {
    @Test func aPlainPathIsNoSharedQueue() throws {
        #expect(try TaskQueueAddress("/tmp/q") == nil)
        #expect(try TaskQueueAddress("queue") == nil)
        #expect(try TaskQueueAddress("postgres:") == nil)
    }

    @Test func aPostgresURLIsShownWithoutItsPassword() throws {
        let address = try #require(try TaskQueueAddress("postgresql://conductor:s3cret@db:5432/conductor"))
        #expect(address.kind == .postgres)
        #expect(address.description == "postgresql://conductor:***@db:5432/conductor")
        #expect(address.scrub("password authentication failed: s3cret") == "password authentication failed: ***")
        #expect(address.text.contains("s3cret"))
    }

    @Test func aFileAddressNamesAnAbsoluteDirectory() throws {
        #expect(try TaskQueueAddress("file:///srv/conductor queue")?.kind == .directory("/srv/conductor queue"))
        #expect(try TaskQueueAddress("file:///srv/conductor%20queue")?.kind == .directory("/srv/conductor queue"))
        #expect(try TaskQueueAddress("file://localhost/srv/q")?.kind == .directory("/srv/q"))
        #expect(try TaskQueueAddress("file:///srv/q")?.description == "file:///srv/q")
        #expect(try TaskQueueAddress("file:/srv/q")?.kind == .directory("/srv/q"))
        #expect(try TaskQueueAddress("FILE:///srv/q")?.kind == .directory("/srv/q"))
    }

    /// One directory written several ways is one queue: a batch recorded on it is found again.
    @Test func oneDirectoryWrittenSeveralWaysIsOneQueue() throws {
        let forms = ["file:///srv/q", "file:///srv/q/", "file:///srv/./q", "file:///srv/x/../q", "file://localhost/srv/q"]
        #expect(Set(try forms.map { try TaskQueueAddress($0)?.description }) == ["file:///srv/q"])
    }

    @Test func aFileAddressWithoutAnAbsolutePathIsRefusedWithTheFix() throws {
        for text in ["file://srv/q", "file:q", "file://otherhost/srv/q", "file:///~/q"] {
            #expect {
                _ = try TaskQueueAddress(text)
            } throws: { error in
                "\(error)".contains(text) && ("\(error)".contains("file:///absolute/path") || "\(error)".contains("file:///home/me/queue"))
            }
        }
    }
}
