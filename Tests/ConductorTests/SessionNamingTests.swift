import Conductor
import Foundation
import Testing
import TestSupport

/// Reaching a session from any terminal by name (`-n`, `-d` or `$CONDUCTOR_DIR`), touching only
/// the tmux sessions conductor made, relaunching a stopped session, and `conductor list`.
@Suite(.serialized, .timeLimit(.minutes(5))) struct SessionNamingTests {
    private func tmuxEnvironment(_ fixture: BatchFixture) -> [String: String] {
        fixture.tmuxEnvironment
    }

    @Test func anotherTerminalReachesASessionByNameAndStopTouchesOnlyConductorSessions() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let environment = tmuxEnvironment(fixture)
        defer { _ = try? run(["tmux", "kill-server"], environment: environment) }
        let elsewhere = fixture.directory.appending("home")
        let conductor = { (arguments: [String], directory: String, extra: [String: String]) in
            try run([Binaries.conductor] + arguments, in: directory, environment: environment.merging(extra) { $1 })
        }

        let launch = try conductor(["launch", "-w", "2", "--worktrees", "-n", "s1", "-d", fixture.store, "--no-attach", "--json"], app, [:])
        #expect(launch.status == 0, "\(launch.stderr)")
        #expect(launch.stdout.contains("\"queue\" : \"\(fixture.store)/s1/queue\""), "\(launch.stdout)")
        #expect(waitUntil { QueueSnapshot.read(QueueRoot(path: "\(fixture.store)/s1/queue")).workers.filter(\.alive).count == 2 })

        // From another directory, by name: with -d, or with CONDUCTOR_DIR.
        let status = try conductor(["status", "-n", "s1", "-d", fixture.store], elsewhere, [:])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.components(separatedBy: " alive ").count == 3, "\(status.stdout)")
        let submit = try conductor(["submit", "-n", "s1", "--wait", "--json", "--command", "echo hi > hi.txt", "--id", "far"], elsewhere,
                                   ["CONDUCTOR_DIR": fixture.store])
        #expect(submit.status == 0, "\(submit.stderr)")
        let worker = try #require(try QueueFixture.report(submit.stdout).results.first?.worker)
        #expect(FileManager.default.fileExists(atPath: "\(fixture.store)/s1/app/w\(worker)/hi.txt"))

        let list = try conductor(["list", "--json"], elsewhere, ["CONDUCTOR_DIR": fixture.store])
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        #expect(listed.first?["name"] as? String == "s1")
        #expect(listed.first?["kind"] as? String == "session")
        #expect(listed.first?["state"] as? String == "up")

        // A tmux session conductor did not make is refused and left alone.
        try run(["tmux", "new-session", "-d", "-s", "mine", "sleep 600"], environment: environment)
        let foreign = try conductor(["stop", "-n", "mine"], elsewhere, [:])
        #expect(foreign.status != 0)
        #expect(foreign.stderr.contains("was not started by conductor launch"), "\(foreign.stderr)")
        #expect(try run(["tmux", "has-session", "-t", "=mine"], environment: environment).status == 0)
        let taken = try conductor(["launch", "-n", "mine", "-d", fixture.store, "--no-attach"], app, [:])
        #expect(taken.status != 0)
        #expect(taken.stderr.contains("was not started by conductor; pick another name"), "no advice to stop what is not ours: \(taken.stderr)")

        // stop without -d finds the session's record from the tmux session itself.
        let pids = QueueSnapshot.read(QueueRoot(path: "\(fixture.store)/s1/queue")).workers.compactMap(\.pid)
        let stop = try conductor(["stop", "-n", "s1", "--json"], elsewhere, [:])
        #expect(stop.status == 0, "\(stop.stderr)")
        #expect(stop.stdout.contains("\"endedTmuxSession\" : true"), "\(stop.stdout)")
        #expect(waitUntil { pids.allSatisfy { !processIsAlive($0) } }, "its workers were stopped, not just the tmux session")
        let down = try conductor(["list", "-d", fixture.store], elsewhere, [:])
        #expect(down.stdout.contains("session") && down.stdout.contains("down"), "\(down.stdout)")

        // The README's flow: stop, report, prune keeps the unmerged branch; then launch the same name again.
        _ = try conductor(["report", "s1", "-d", fixture.store], app, [:])
        let prune = try conductor(["prune", "s1", "-d", fixture.store], app, [:])
        #expect(prune.status == 1, "the branch with the submitted task's commit is kept: \(prune.stdout)")
        let relaunch = try conductor(["launch", "-w", "2", "--worktrees", "-n", "s1", "-d", fixture.store, "--no-attach"], app, [:])
        #expect(relaunch.status == 0, "\(relaunch.stderr)")
        #expect(waitUntil { QueueSnapshot.read(QueueRoot(path: "\(fixture.store)/s1/queue")).workers.filter(\.alive).count == 2 })
        let relaunched = try fixture.git("\(fixture.store)/s1/app/w\(worker)", ["log", "-1", "--format=%(trailers:key=Conductor-Task,valueonly)"])
        #expect(relaunched.trimmingCharacters(in: .whitespacesAndNewlines) == "far", "the relaunched worker is back on its branch, with its commit")
        let again = try conductor(["stop", "-n", "s1"], elsewhere, [:])
        #expect(again.status == 0, "\(again.stderr)")
    }

    @Test func statusWatchIntoAPipePrintsPlainSnapshots() throws {
        let fixture = try QueueFixture()
        try fixture.startWorker(0)
        let watch = try BackgroundProcess([Binaries.conductor, "status", "--watch", "--queue", fixture.root.path], environment: fixture.environment)
        #expect(waitUntil(timeout: 20) { watch.output.components(separatedBy: "queue: ").count >= 3 }, "two snapshots: \(watch.output)")
        #expect(!watch.output.contains("\u{1B}["), "no screen-clearing codes into a pipe")
        watch.stop()
    }

    @Test func errorsAreOneLineJSONWhenAskedAndSuggestTheCommandMeant() throws {
        let fixture = try QueueFixture()
        let typo = try fixture.conductor(["stauts"])
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("did you mean 'conductor status'"), "\(typo.stderr)")
        #expect(!typo.stderr.contains("Error:"), "not double-prefixed: \(typo.stderr)")
        let missing = try fixture.conductor(["status", "--queue", fixture.directory.appending("none"), "--json"])
        #expect(missing.status == 2)
        #expect(missing.stderr.split(separator: "\n").count == 1, "one line, no usage: \(missing.stderr)")
        let error = try #require(try JSONSerialization.jsonObject(with: Data(missing.stdout.utf8)) as? [String: String])
        #expect(error["error"]?.contains("there is no queue") == true)
    }
}
