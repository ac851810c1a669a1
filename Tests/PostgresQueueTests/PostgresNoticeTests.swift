import Foundation
import Testing
import TestSupport

/// The server's notices (`CREATE … IF NOT EXISTS` on what exists, `RAISE NOTICE`) are not
/// written to stderr, where libpq would put them amid conductor's own output. Checked in a child
/// process, whose stderr is its own.
@Suite(.serialized, .timeLimit(.minutes(3)), .disabled(if: PostgresServer.unavailable != nil, "\(PostgresServer.unavailable ?? "")"))
struct PostgresNoticeTests {
    @Test func aServerNoticeIsNotPrinted() async throws {
        try await offThePool {
            let server = try PostgresServer()
            let probe = Binaries.buildDirectory + "/postgres-probe"
            let result = try run([probe, server.url, "CREATE SCHEMA IF NOT EXISTS public"], timeout: 60)
            #expect(result.status == 0, "\(result.stdout)")
            #expect(result.stderr.isEmpty, "\(result.stderr)")
        }
    }
}
