import Conductor
import Foundation
import Testing
import TestSupport

/// Each worker's tasks get a port range of their own, so parallel dev servers do not collide.
@Suite(.timeLimit(.minutes(3))) struct WorkerPortTests {
    @Test func everyWorkerHasItsOwnPorts() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let tasks = (0..<3).map { #"{"id": "p\#($0)", "command": "echo $CONDUCTOR_WORKER $CONDUCTOR_PORT > port.txt; sleep 0.3"}"# }
        let file = try fixture.tasksFile("[\(tasks.joined(separator: ","))]")
        let result = try run([Binaries.conductor, "batch", "--worktrees", "-w", "3", "-d", fixture.store, "-n", "p", file], in: app,
                             environment: fixture.environment.merging(["CONDUCTOR_PORT_BASE": "31000"]) { $1 })
        #expect(result.status == 0, "\(result.stderr)")
        var ports: [Int: Int] = [:]
        for worker in 0..<3 {
            let text = try String(contentsOfFile: "\(fixture.store)/p/app/w\(worker)/port.txt", encoding: .utf8)
            let fields = text.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            ports[fields[0]] = fields[1]
        }
        #expect(ports == [0: 31000, 1: 31010, 2: 31020])
    }
}
