import Foundation
import Postgres
import Testing
import TestSupport

/// LISTEN/NOTIFY on a real server: what lets an idle worker sleep until a task is submitted or
/// re-queued, falling back to polling when its wait times out.
@Suite(.serialized, .timeLimit(.minutes(3)), .disabled(if: PostgresServer.unavailable != nil, "\(PostgresServer.unavailable ?? "")"),
       .sharedPostgresServer)
struct PostgresNotificationTests {
    /// The suite's server, a connection that listens on `channel`, and one to notify from.
    private struct Listening {
        let server: PostgresServer
        let listener: PostgresConnection
        let notifier: PostgresConnection

        init(on channel: String = "conductor_tasks") throws {
            server = try #require(SharedPostgresServer.current)
            listener = try PostgresConnection(url: server.url)
            notifier = try PostgresConnection(url: server.url)
            try listener.listen(channel)
        }
    }

    @Test func aNotifyFromAnotherConnectionWakesTheListenerOnce() async throws {
        try await offThePool {
            let setup = try Listening()
            try setup.notifier.execute("NOTIFY conductor_tasks")
            #expect(try setup.listener.waitForNotification(timeout: 30))
            #expect(try setup.listener.waitForNotification(timeout: 0.2) == false, "the notification was taken by the first wait")
        }
    }

    @Test func aNotificationReadWhileAStatementRanIsNotLost() async throws {
        try await offThePool {
            let setup = try Listening()
            try setup.notifier.execute("NOTIFY conductor_tasks")
            // libpq takes the notification off the socket while it reads this statement's result.
            try setup.listener.execute("SELECT pg_sleep(0.2)")
            #expect(try setup.listener.waitForNotification(timeout: 30))
        }
    }

    @Test func aWaitWithNothingNotifiedReturnsFalseAfterItsTimeout() async throws {
        try await offThePool {
            let setup = try Listening()
            let start = Date()
            #expect(try setup.listener.waitForNotification(timeout: 0.3) == false)
            // A lower bound only: the wait must not give up early.
            #expect(Date().timeIntervalSince(start) >= 0.3)
        }
    }

    @Test func aChannelNameIsQuotedAsItIs() async throws {
        try await offThePool {
            let setup = try Listening(on: #"Conductor "Tasks""#)
            try setup.notifier.execute(#"NOTIFY conductor_tasks"#)
            #expect(try setup.listener.waitForNotification(timeout: 0.2) == false, "another channel's notification does not wake it")
            try setup.notifier.execute(#"NOTIFY "Conductor ""Tasks""""#)
            #expect(try setup.listener.waitForNotification(timeout: 30))
        }
    }

    @Test func aLostConnectionIsAnErrorNotATimeout() async throws {
        try await offThePool {
            var server: PostgresServer? = try PostgresServer() // its own: the test stops it
            let listener = try PostgresConnection(url: try #require(server).url)
            try listener.listen("conductor_tasks")
            server = nil // stops the server
            #expect(throws: PostgresError.self) { try listener.waitForNotification(timeout: 60) }
        }
    }
}
