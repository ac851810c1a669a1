import Conductor
import Foundation
import Testing
import TestSupport

/// `conductor merge` run again never drops commits it did not make on the integration branch.
@Suite(.serialized, .timeLimit(.minutes(3))) struct MergeSafetyTests {
    private func tip(_ fixture: BatchFixture, _ repository: String, _ revision: String) throws -> String {
        try fixture.git(repository, ["rev-parse", revision]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func mergingAgainRefusesToDropTheUsersCommitsUntilForced() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        try fixture.runEchoBatch(in: app, name: "b1", workers: 2)
        let first = try fixture.conductor(["merge", "b1", "-d", fixture.store])
        #expect(first.status == 0, "\(first.stderr)")
        let again = try fixture.conductor(["merge", "b1", "-d", fixture.store])
        #expect(again.status == 0, "a branch merge made alone is rebuilt: \(again.stderr)")

        try fixture.git(app, ["switch", "-q", "conductor/b1/merged"])
        try "fixed\n".write(toFile: app + "/fix.txt", atomically: true, encoding: .utf8)
        try fixture.git(app, ["add", "fix.txt"])
        try fixture.git(app, ["commit", "-q", "-m", "Fix after merge"])
        let fix = try tip(fixture, app, "HEAD")
        try fixture.git(app, ["switch", "-q", "main"])

        let refused = try fixture.conductor(["merge", "b1", "-d", fixture.store])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains(String(fix.prefix(7))), "names the commit: \(refused.stderr)")
        #expect(refused.stderr.contains("Fix after merge"))
        #expect(refused.stderr.contains("--force"))
        #expect(try tip(fixture, app, "conductor/b1/merged") == fix)

        let forced = try fixture.conductor(["merge", "b1", "-d", fixture.store, "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(forced.stdout.contains(String(fix.prefix(7))), "says what the rebuild dropped: \(forced.stdout)")
        #expect(try tip(fixture, app, "conductor/b1/merged") != fix)
        #expect(try run(["git", "merge-base", "--is-ancestor", fix, "conductor/b1/merged"], in: app).status == 1)
    }

    @Test func aFastForwardedIntegrationBranchIsRebuiltButNotOneTheUserMovedOn() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        try fixture.runEchoBatch(in: app, name: "f1", workers: 1)
        #expect(try fixture.conductor(["merge", "f1", "-d", fixture.store]).status == 0)
        #expect(try tip(fixture, app, "conductor/f1/merged") == (try tip(fixture, app, "conductor/f1/w0")), "a fast-forward")
        try "main moved\n".write(toFile: app + "/moved.txt", atomically: true, encoding: .utf8)
        try fixture.git(app, ["add", "moved.txt"])
        try fixture.git(app, ["commit", "-q", "-m", "main moves on"])
        let rebuilt = try fixture.conductor(["merge", "f1", "-d", fixture.store])
        #expect(rebuilt.status == 0, "\(rebuilt.stderr)")

        try fixture.git(app, ["branch", "-f", "conductor/f1/merged", "main~1"])
        try fixture.git(app, ["switch", "-q", "conductor/f1/merged"])
        try fixture.git(app, ["merge", "-q", "--no-ff", "--no-edit", "conductor/f1/w0"])
        let usersMerge = try tip(fixture, app, "HEAD")
        try fixture.git(app, ["switch", "-q", "main"])
        let refused = try fixture.conductor(["merge", "f1", "-d", fixture.store])
        #expect(refused.status != 0, "a merge commit conductor did not make is the user's")
        #expect(refused.stderr.contains(String(usersMerge.prefix(7))))
        #expect(try tip(fixture, app, "conductor/f1/merged") == usersMerge)
    }
}
