import Foundation
import Postgres
import PostgresQueue
import Synchronization
import class TestSupport.PostgresServer

/// The PostgreSQL queue (issue 16) on a server of its own, started as the tests start theirs
/// (loopback, fsync off): the cost per task of claiming and completing it beside the filesystem
/// queue's protocol floor (medians of alternating rounds), then the throughput of no-op tasks with
/// 1, 8 and 32 workers, each a thread with its own connection.
enum PostgresBenchmark {
    static let tasks = 1_000
    static let rounds = 5
    static let throughputRounds = 3
    static let workerCounts = [1, 8, 32]
    static let spec = #"{"command": "true"}"#

    static func run() throws {
        if let reason = PostgresServer.unavailable {
            print("postgres: skipped: \(reason)")
            return
        }
        let server = try PostgresServer()
        let version = try PostgresConnection(url: server.url).execute("SHOW server_version").first?.first.flatMap { $0 } ?? "?"
        print("postgres: PostgreSQL \(version) started for this run on loopback, fsync off (as the tests start it; the file floor does not fsync either)")
        try overhead(url: server.url)
        try throughput(url: server.url)
    }

    /// Per task: submit, claim then complete on one connection (the client's CPU and that of its
    /// server backend), beside `DispatchBenchmark.protocolFloor`, the file work the filesystem
    /// queue does for a task. Rounds alternate the two; medians.
    static func overhead(url: String) throws {
        let connection = try PostgresConnection(url: url)
        let queue = try PostgresTaskQueue(connection: connection)
        let backend = try Int32(connection.execute("SELECT pg_backend_pid()").first?.first.flatMap { $0 } ?? "") ?? 0
        let scratch = try makeScratchDirectory("postgres")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var submitWall: [Double] = [], claimWall: [Double] = [], clientCPU: [Double] = [], serverCPU: [Double] = []
        var floorWall: [Double] = [], floorCPU: [Double] = []
        for round in 0..<rounds {
            let batch = "overhead-\(round)"
            submitWall.append(try time { try queue.submit(batch: batch, tasks: (0..<tasks).map { ("t\($0)", spec) }) } / Double(tasks))
            let clientBefore = selfCPUSeconds(), serverBefore = cpuSeconds(of: backend).own
            claimWall.append(try time {
                for _ in 0..<tasks {
                    guard let claim = try queue.claim(worker: "bench", lease: 60, batch: batch),
                          try queue.complete(claim, succeeded: true, result: "{}") else {
                        throw CommandFailed(description: "postgres: a task of \(batch) could not be claimed and completed")
                    }
                }
            } / Double(tasks))
            clientCPU.append((selfCPUSeconds() - clientBefore) / Double(tasks))
            serverCPU.append((cpuSeconds(of: backend).own - serverBefore) / Double(tasks))
            var cpu = 0.0
            floorWall.append(try time { cpu = try DispatchBenchmark.protocolFloor(in: "\(scratch)/floor", rounds: tasks) } / Double(tasks))
            floorCPU.append(cpu)
        }
        let ms = { (seconds: Double) in String(format: "%.3f ms", seconds * 1000) }
        let claimed = median(claimWall), floor = median(floorWall)
        let cpu = median(clientCPU) + median(serverCPU)
        print("  claim→complete per task, one connection, median of \(rounds) rounds of \(tasks) tasks alternating with the file floor:")
        print("    PostgreSQL: claim+complete \(ms(claimed)) wall, CPU \(ms(median(clientCPU))) here + \(ms(median(serverCPU))) in its server backend; "
              + "submit \(ms(median(submitWall))) a task (\(tasks) in one transaction)")
        print("    filesystem queue's protocol floor (dispatch's: 4 atomic rewrites, 3 reads a task, in \(FileManager.default.temporaryDirectory.path)): "
              + "\(ms(floor)) wall, \(ms(median(floorCPU))) CPU")
        print(String(format: "    PostgreSQL / files: claim+complete %.1fx in wall time, %.1fx in CPU; with its submit %.1fx in wall time",
                     claimed / floor, cpu / median(floorCPU), (claimed + median(submitWall)) / floor))
    }

    /// Tasks a second, claim→complete of no-op tasks, with each worker count: the workers connect
    /// first, then all start together; the clock stops when the queue is empty.
    static func throughput(url: String) throws {
        var seconds = [Int: [Double]]()
        for round in 0..<throughputRounds {
            for workers in workerCounts {
                seconds[workers, default: []].append(try drain(url: url, batch: "throughput-\(workers)-\(round)", workers: workers))
            }
        }
        print("  throughput, \(tasks) no-op tasks claimed and completed, median of \(throughputRounds) rounds "
              + "(workers are threads of this process, each with its own connection; \(ProcessInfo.processInfo.activeProcessorCount) cores shared with the server):")
        for workers in workerCounts {
            let wall = median(seconds[workers] ?? [])
            print(String(format: "    %2d workers: %.0f tasks/s (%.3f ms a task)", workers, Double(tasks) / wall, wall * 1000 / Double(tasks)))
        }
    }

    /// Submits `tasks` to `batch`, lets `workers` threads take them all; the seconds
    /// from their start to the last completion.
    private static func drain(url: String, batch: String, workers: Int) throws -> Double {
        try PostgresTaskQueue(connection: PostgresConnection(url: url)).submit(batch: batch, tasks: (0..<tasks).map { ("t\($0)", spec) })
        let connected = DispatchGroup(), finished = DispatchGroup(), start = DispatchSemaphore(value: 0)
        let completed = Mutex(0), failures = Mutex([String]())
        for worker in 0..<workers {
            connected.enter()
            finished.enter()
            Thread.detachNewThread {
                defer { finished.leave() }
                do {
                    let queue: PostgresTaskQueue
                    do {
                        defer { connected.leave() }
                        queue = try PostgresTaskQueue(connection: PostgresConnection(url: url))
                    }
                    start.wait()
                    while let claim = try queue.claim(worker: "w\(worker)", lease: 60, batch: batch) {
                        guard try queue.complete(claim, succeeded: true, result: "{}") else { throw CommandFailed(description: "\(claim.task): completion refused") }
                        completed.withLock { $0 += 1 }
                    }
                } catch {
                    failures.withLock { $0.append("w\(worker): \(error)") }
                }
            }
        }
        connected.wait()
        let began = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<workers { start.signal() }
        finished.wait()
        let wall = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        let done = completed.withLock { $0 }
        if let failure = failures.withLock({ $0.first }) { throw CommandFailed(description: "postgres throughput, \(workers) workers: \(failure)") }
        guard done == tasks else {
            throw CommandFailed(description: "postgres throughput, \(workers) workers: \(done) of \(tasks) tasks completed")
        }
        return wall
    }
}
