import Foundation
@testable import Postgres
import Testing
import TestSupport

/// libpq is loaded on the first connection, not at process start: a program that links the
/// Postgres module but never connects (every `conductor` run on the filesystem queue) does not pay
/// for libpq and the libraries it pulls in (libssl, GSSAPI, LDAP). Checked in a child process, so
/// no connection made by another test of this process can have loaded it first.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct PostgresLoadingTests {
    private static let probe = Binaries.buildDirectory + "/postgres-probe"

    @Test(.disabled(if: PostgresServer.unavailable != nil, "\(PostgresServer.unavailable ?? "")"))
    func libpqIsMappedOnlyOnceAConnectionIsMade() async throws {
        try await offThePool {
            let server = try PostgresServer()
            let result = try run([Self.probe, server.url], timeout: 60)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout == "unmapped\nmapped\n", "libpq before and after connecting: \(result.stdout)")
        }
    }

    @Test func aMissingLibpqIsNamedWithTheFix() {
        let error = #expect(throws: PostgresError.self) { try LibPQ.open("libpq-missing.so.5") }
        #expect(error?.message.contains("libpq-missing.so.5, PostgreSQL's client library, cannot be loaded") == true, "\(String(describing: error))")
        #expect(error?.message.contains("apt install libpq5") == true, "\(String(describing: error))")
    }
}
