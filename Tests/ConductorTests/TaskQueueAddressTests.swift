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
    }

    @Test func aFileAddressWithoutAnAbsolutePathIsRefusedWithTheFix() throws {
        for text in ["file://srv/q", "file:q", "file:/srv/q", "file://otherhost/srv/q"] {
            #expect {
                _ = try TaskQueueAddress(text)
            } throws: { error in
                "\(error)".contains("file:///absolute/path") && "\(error)".contains(text)
            }
        }
    }
}
