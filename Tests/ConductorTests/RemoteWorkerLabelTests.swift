import Conductor
import Foundation
import Postgres
import PostgresQueue
import Testing
import TestSupport

/// A batch on a PostgreSQL queue, run by hosts `hostA-0` and `hostB-0` (no local worker), whose
/// two tasks conflict: the coordinator's summary, report.md, report.html, `merge`, `show` and
/// `diff` name the hosts, never `w0` or `w1`, and `merge --worker` and `diff` take those names.
@Suite(.serialized, .timeLimit(.minutes(4)), .disabled(if: PostgresServer.unavailable != nil, "\(PostgresServer.unavailable ?? "")"))
struct RemoteWorkerLabelTests {
    @Test func everySurfaceNamesTheHostsOfAConflictingBatch() async throws {
        let fixture = try await RemoteWorkerFixture.make()
        let hosts = ["hostA-0", "hostB-0"]
        let tasks = try fixture.remoteTasksFile(["t1", "t2"], command: #"\#(fixture.waitForGate); echo "$CONDUCTOR_TASK_ID" > shared.txt"#)
        let coordinator = try fixture.startCoordinator("lb", tasksFile: tasks, workers: 0)
        defer { coordinator.stop(grace: 10) }
        for host in hosts { try fixture.startHost(host) }
        // Each host holds one task before either may finish, so each branch has one of them.
        let bothClaimed = try await eventually(timeout: 60) {
            Set(try fixture.queue.rows(batch: "lb").filter { $0.state == .claimed }.compactMap(\.claimedBy)) == Set(hosts)
        }
        #expect(bothClaimed, "\(coordinator.output)")
        fixture.openGate()
        #expect(await fixture.exitStatus(of: coordinator, timeout: 120) == 0, "\(coordinator.output)")

        let output = coordinator.output
        for host in hosts {
            #expect(output.contains("  \(host) conductor/lb/\(host): 1 commit(s)"), "\(output)")
        }
        #expect(output.contains("  conflict: hostA-0 and hostB-0 in shared.txt") || output.contains("  conflict: hostB-0 and hostA-0 in shared.txt"),
                "\(output)")
        #expect(output.contains("  suggested merge order: hostA-0, hostB-0") || output.contains("  suggested merge order: hostB-0, hostA-0"),
                "\(output)")
        let markdown = try String(contentsOfFile: "\(fixture.store)/lb/report.md", encoding: .utf8)
        let html = try String(contentsOfFile: "\(fixture.store)/lb/report.html", encoding: .utf8)
        for host in hosts {
            #expect(markdown.contains("| \(host) | `conductor/lb/\(host)` | 1 | 1 |"), "\(markdown)")
            #expect(html.contains("<th>\(host)</th>"))
        }

        let conductor = { (arguments: [String]) in
            try await offThePool { try run([Binaries.conductor] + arguments + ["-d", fixture.store], environment: fixture.coordinatorEnvironment) }
        }
        let merge = try await conductor(["merge", "lb", "--worker", "hostA-0,hostB-0"])
        #expect(merge.status == 1, "one branch is left out: \(merge.stderr)")
        #expect(merge.stdout.contains(#/  merged: host[AB]-0 \(conductor/lb/host[AB]-0\)/#), "\(merge.stdout)")
        #expect(merge.stdout.contains(#/  left out: host[AB]-0 \(conductor/lb/host[AB]-0\): conflicts with host[AB]-0 in shared.txt/#),
                "\(merge.stdout)")
        let show = try await conductor(["show", "t1", "-n", "lb", "--stat"])
        #expect(show.stdout.contains(#/\nworker:  host[AB]-0, branch conductor/lb/host[AB]-0\n/#), "\(show.stdout)\(show.stderr)")
        let diff = try await conductor(["diff", "hostB-0", "-n", "lb", "--stat"])
        #expect(diff.status == 0 && diff.stdout.contains("shared.txt"), "\(diff.stdout)\(diff.stderr)")
        // A worker the batch does not have: the message lists the names it has.
        for arguments in [["merge", "lb", "--worker", "hostC-0"], ["diff", "hostC-0", "-n", "lb"]] {
            let unknown = try await conductor(arguments)
            #expect(unknown.status == 2, "\(arguments): \(unknown.stderr)")
            #expect(unknown.stderr.contains("hostC-0") && hosts.allSatisfy(unknown.stderr.contains), "\(arguments): \(unknown.stderr)")
            #expect(!unknown.stderr.contains(#/\bw[0-9]+\b/#), "\(arguments): \(unknown.stderr)")
        }

        for (name, text) in [("output", output), ("report.md", markdown), ("report.html", html), ("merge", merge.stdout), ("show", show.stdout)] {
            #expect(!text.contains(#/\bw[0-9]+\b/#), "\(name) names a worker by number:\n\(text)")
        }
    }
}
