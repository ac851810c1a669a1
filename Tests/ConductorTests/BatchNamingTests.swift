import Conductor
import Foundation
import Testing
import TestSupport

/// Which batch a command without a name acts on: the newest made (not the name that sorts last),
/// only of the current repository, and for commands that change things only when unambiguous.
@Suite(.timeLimit(.minutes(3))) struct BatchNamingTests {
    private func batch(_ fixture: BatchFixture, _ name: String, in repository: String, environment: [String: String] = [:]) throws {
        let tasks = try fixture.tasksFile(#"[{"id": "t", "command": "echo \#(name) > \#(name).txt"}]"#, name: "\(name).json")
        let result = try run([Binaries.conductor, "batch", "--worktrees", "-w", "1", "--name", name, "-d", fixture.store, tasks],
                             in: repository, environment: fixture.environment.merging(environment) { $1 })
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func withoutANameTheNewestBatchOfThisRepositoryIsInspected() throws {
        let fixture = try BatchFixture()
        let web = try fixture.makeRepository("web")
        let api = try fixture.makeRepository("api")
        try batch(fixture, "zzz-older", in: web)
        try batch(fixture, "aaa-newer", in: web)
        try batch(fixture, "mmm-api", in: api)

        let report = try fixture.conductor(["report", "--json", "-d", fixture.store], in: web)
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout.contains("conductor/aaa-newer/w0"), "newest made, not the name that sorts last")
        #expect(!report.stdout.contains("mmm-api"), "never a batch of another repository")

        // prune and merge change things: with two candidates they ask for a name and touch nothing.
        for command in [["prune"], ["merge"], ["batch", "--resume"]] {
            let result = try fixture.conductor(command + ["-d", fixture.store], in: web)
            #expect(result.status == 2, "\(command): \(result.stdout)\(result.stderr)")
            #expect(result.stderr.contains("aaa-newer, zzz-older"), "\(command) lists the candidates newest first: \(result.stderr)")
        }
        #expect(FileManager.default.fileExists(atPath: "\(fixture.store)/aaa-newer/web/w0"))
        #expect(FileManager.default.fileExists(atPath: "\(fixture.store)/zzz-older/web/w0"))

        // In api the choice is unambiguous, and -n and the argument name the same batch.
        let merge = try fixture.conductor(["merge", "-d", fixture.store], in: api)
        #expect(merge.status == 0, "\(merge.stderr)")
        #expect(try fixture.git(api, ["branch", "--list", "conductor/mmm-api/merged"]).contains("merged"))
        let named = try fixture.conductor(["report", "-n", "zzz-older", "-d", fixture.store, "--json"], in: api)
        #expect(named.stdout.contains("conductor/zzz-older/w0"))
        let clash = try fixture.conductor(["report", "aaa-newer", "-n", "zzz-older", "-d", fixture.store], in: api)
        #expect(clash.status == 2)
    }

    @Test func conductorDirIsTheDefaultDirectory() throws {
        let fixture = try BatchFixture()
        let web = try fixture.makeRepository("web")
        try batch(fixture, "b1", in: web)
        let report = try run([Binaries.conductor, "report", "b1", "--json"], in: web,
                             environment: fixture.environment.merging(["CONDUCTOR_DIR": fixture.store]) { $1 })
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout.contains("conductor/b1/w0"))

        // A quoted ~ means $HOME, as the default directory does.
        let tilde = try fixture.tasksFile(#"[{"id": "t", "command": "true"}]"#, name: "tilde.json")
        let quoted = try run([Binaries.conductor, "batch", "-n", "t1", tilde], in: web,
                             environment: fixture.environment.merging(["CONDUCTOR_DIR": "~/cw"]) { $1 })
        #expect(quoted.status == 0, "\(quoted.stderr)")
        #expect(FileManager.default.fileExists(atPath: fixture.directory.appending("home/cw/t1/batch.json")))

        // From inside a batch's own worktree (a linked worktree of the repository), the batch is found.
        let inside = try run([Binaries.conductor, "report", "--json"], in: "\(fixture.store)/b1/web/w0",
                             environment: fixture.environment.merging(["CONDUCTOR_DIR": fixture.store]) { $1 })
        #expect(inside.status == 0, "\(inside.stderr)")
        #expect(inside.stdout.contains("conductor/b1/w0"))
    }
}
