import Foundation
import Postgres
import PostgresQueue
import Synchronization
import Testing
import TestSupport

/// LISTEN/NOTIFY on a real server: what lets an idle worker sleep until a task is submitted or
/// re-queued, falling back to polling when its wait times out.
@Suite(.serialized, .timeLimit(.minutes(3)), .disabled(if: PostgresServer.unavailable != nil, "\(PostgresServer.unavailable ?? "")"))
struct PostgresNotificationTests {
    @Test func aNotifyFromAnotherConnectionWakesTheListenerOnce() throws {
        let server = try PostgresServer()
        let listener = try PostgresConnection(url: server.url)
        let notifier = try PostgresConnection(url: server.url)
        try listener.listen("conductor_tasks")
        try notifier.execute("NOTIFY conductor_tasks")
        try notifier.execute("NOTIFY conductor_tasks")
        #expect(try listener.waitForNotification(timeout: 30))
        #expect(try listener.waitForNotification(timeout: 0.2) == false, "both notifications were taken by the first wait")
    }

    @Test func aNotificationReadWhileAStatementRanIsNotLost() throws {
        let server = try PostgresServer()
        let listener = try PostgresConnection(url: server.url)
        let notifier = try PostgresConnection(url: server.url)
        try listener.listen("conductor_tasks")
        try notifier.execute("NOTIFY conductor_tasks")
        // libpq takes the notification off the socket while it reads this statement's result.
        try listener.execute("SELECT pg_sleep(0.2)")
        #expect(try listener.waitForNotification(timeout: 30))
    }

    @Test func aWaitingListenerWakesWhenATaskIsSubmitted() throws {
        let server = try PostgresServer()
        let listener = try PostgresConnection(url: server.url)
        try listener.listen("conductor_tasks")
        let url = server.url
        let submitted = DispatchSemaphore(value: 0)
        let failure = Mutex<String?>(nil)
        Thread.detachNewThread {
            defer { submitted.signal() }
            do {
                usleep(200_000)
                let queue = try PostgresTaskQueue(connection: PostgresConnection(url: url))
                try queue.submit(batch: "b1", tasks: [("t1", #"{"command": "true"}"#)])
            } catch {
                failure.withLock { $0 = "\(error)" }
            }
        }
        let woken = try listener.waitForNotification(timeout: 60)
        submitted.wait()
        #expect(failure.withLock { $0 } == nil, "\(failure.withLock { $0 } ?? "")")
        #expect(woken)
    }

    @Test func aWaitWithNothingNotifiedReturnsFalseAfterItsTimeout() throws {
        let server = try PostgresServer()
        let listener = try PostgresConnection(url: server.url)
        try listener.listen("conductor_tasks")
        let start = Date()
        #expect(try listener.waitForNotification(timeout: 0.3) == false)
        // A lower bound only: the wait must not give up early.
        #expect(Date().timeIntervalSince(start) >= 0.3)
    }

    @Test func aChannelNameIsQuotedAsItIs() throws {
        let server = try PostgresServer()
        let listener = try PostgresConnection(url: server.url)
        let notifier = try PostgresConnection(url: server.url)
        try listener.listen(#"Conductor "Tasks""#)
        try notifier.execute(#"NOTIFY conductor_tasks"#)
        #expect(try listener.waitForNotification(timeout: 0.2) == false, "another channel's notification does not wake it")
        try notifier.execute(#"NOTIFY "Conductor ""Tasks""""#)
        #expect(try listener.waitForNotification(timeout: 30))
    }

    @Test func aLostConnectionIsAnErrorNotATimeout() throws {
        var server: PostgresServer? = try PostgresServer()
        let listener = try PostgresConnection(url: try #require(server).url)
        try listener.listen("conductor_tasks")
        server = nil // stops the server
        #expect(throws: PostgresError.self) { try listener.waitForNotification(timeout: 60) }
    }
}
