import Conductor
import Foundation
import Testing
import TestSupport

/// `launch`, `submit`, `stop` with a real tmux server of the test's own (TMUX_TMPDIR).
@Suite(.serialized, .timeLimit(.minutes(5))) struct LaunchTests {
    private func tmuxEnvironment(_ fixture: BatchFixture) -> [String: String] {
        fixture.tmuxEnvironment
    }

    @Test func launchSubmitStopAndPrune() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let environment = tmuxEnvironment(fixture)
        defer { _ = try? run(["tmux", "kill-server"], environment: environment) }
        let conductor = { (arguments: [String]) in try run([Binaries.conductor] + arguments, in: app, environment: environment) }

        let launch = try conductor(["launch", "-w", "3", "--worktrees", "-n", "t1", "-d", fixture.store, "--no-attach"])
        #expect(launch.status == 0, "\(launch.stderr)")
        let panes = try run(["tmux", "list-panes", "-t", "t1", "-F", "#{pane_index}|#{pane_start_command}|#{pane_current_path}"], environment: environment)
        let lines = panes.stdout.split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        #expect(lines.count == 4)
        #expect(lines.first?[2] == app)
        for worker in 0..<3 {
            let pane = try #require(lines.first { $0[1].contains("'worker' '\(worker)'") })
            #expect(pane[1].contains("'\(fixture.store)/t1/app/w\(worker)'"))
            #expect(pane[2] == "\(fixture.store)/t1/app/w\(worker)")
        }
        let queue = "\(fixture.store)/t1/queue"
        #expect(waitUntil { QueueSnapshot.read(QueueRoot(path: queue)).workers.filter(\.alive).count == 3 })
        let status = try conductor(["status", "--queue", queue])
        #expect(status.stdout.components(separatedBy: " alive ").count == 4, "\(status.stdout)")
        let again = try conductor(["launch", "-n", "t1", "-d", fixture.store, "--no-attach"])
        #expect(again.status != 0)
        #expect(again.stderr.contains("tmux attach -t t1"))

        let submit = try run([Binaries.conductor, "submit", "--wait", "--json", "--prompt", "[[write made-here.txt by a worker]] go", "--id", "probe"],
                             in: app, environment: environment.merging(["CONDUCTOR_HOME": queue]) { $1 })
        #expect(submit.status == 0, "\(submit.stderr)")
        let report = try QueueFixture.report(submit.stdout)
        let worker = try #require(report.results.first?.worker)
        #expect(FileManager.default.fileExists(atPath: "\(fixture.store)/t1/app/w\(worker)/made-here.txt"))
        #expect(!FileManager.default.fileExists(atPath: "\(app)/made-here.txt"))
        #expect(try fixture.git(app, ["log", "-1", "--format=%(trailers:key=Conductor-Task,valueonly)", "conductor/t1/w\(worker)"]).trimmingCharacters(in: .whitespacesAndNewlines) == "probe")

        let pids = QueueSnapshot.read(QueueRoot(path: queue)).workers.compactMap(\.pid)
        let stop = try conductor(["stop", "-n", "t1", "-d", fixture.store])
        #expect(stop.status == 0, "\(stop.stderr)")
        #expect(try run(["tmux", "has-session", "-t", "t1"], environment: environment).status != 0)
        #expect(waitUntil { pids.allSatisfy { !processIsAlive($0) } })
        #expect(try conductor(["report", "t1", "-d", fixture.store]).stdout.contains("conductor/t1/w\(worker)"))

        let prune = try conductor(["prune", "t1", "-d", fixture.store, "--force"])
        #expect(prune.status == 0, "\(prune.stdout)")
        #expect(try fixture.git(app, ["branch", "--list", "conductor/*"]).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: "\(fixture.store)/t1"))
    }

    @Test func missingTmuxIsAClearError() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let result = try run([Binaries.conductor, "launch", "-n", "t2", "-d", fixture.store, "--no-attach"], in: app,
                             environment: tmuxEnvironment(fixture).merging(["PATH": "/nonexistent"]) { $1 })
        #expect(result.status == 3)
        #expect(result.stderr.contains("tmux is not installed"))
        #expect(result.stderr.contains("apt-get install tmux"))
        #expect(!FileManager.default.fileExists(atPath: fixture.store))
    }
}
