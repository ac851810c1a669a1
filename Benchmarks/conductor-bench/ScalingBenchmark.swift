import Foundation

/// Dispatch overhead from 1 to 64 workers (1,000 `true` tasks each time, queue on tmpfs; 3 rounds
/// alternating conductor and xargs, medians), and the memory of the orchestrator and its workers at
/// 10,000 tasks on 64 workers.
enum ScalingBenchmark {
    static let tasks = 1_000
    static let rounds = 3
    static let workerCounts = [1, 2, 4, 8, 16, 32, 64]

    static func run() throws {
        let conductor = try DispatchBenchmark.locateConductor()
        let scratch = try makeScratchDirectory("scaling")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try writeTasks(count: tasks, to: "\(scratch)/tasks.json")
        print("scaling: \(tasks) × `true`, queue on tmpfs; per-task wall time and ratio to xargs -P with as many processes, median of \(rounds) alternating rounds")
        for workers in workerCounts {
            let queue = "/dev/shm/conductor-bench-scaling-\(getpid())-\(workers)"
            defer { try? FileManager.default.removeItem(atPath: queue) }
            let pool = try (0..<workers).map { try startBackground([conductor, "worker", String($0), scratch, "--queue", queue]) }
            defer { pool.forEach { $0.terminate(); $0.waitUntilExit() } }
            try DispatchBenchmark.waitForWorkers(queue: queue, count: workers)
            var oursRounds: [Double] = [], xargsRounds: [Double] = []
            for round in 0..<rounds {
                oursRounds.append(try time {
                    try shell([conductor, "orchestrator", String(workers), "\(scratch)/tasks.json", "--queue", queue,
                               "--journal", "\(queue)/journal-\(round).jsonl", "--json"])
                })
                xargsRounds.append(try time { try shell(["sh", "-c", "seq \(tasks) | xargs -P\(workers) -I{} sh -c true"]) })
            }
            let ours = median(oursRounds), xargs = median(xargsRounds)
            print(String(format: "  %2d workers: conductor %.2f ms/task, xargs %.2f ms/task, ratio %.2fx",
                         workers, ours * 1000 / Double(tasks), xargs * 1000 / Double(tasks), ours / xargs))
        }
    }

    static func writeTasks(count: Int, to path: String) throws {
        let list = (0..<count).map { _ in #"{"command": "true"}"# }.joined(separator: ",")
        try "[\(list)]".write(toFile: path, atomically: true, encoding: .utf8)
    }
}

enum MemoryBenchmark {
    static let tasks = 10_000
    static let workers = 64

    static func run() throws {
        let conductor = try DispatchBenchmark.locateConductor()
        let scratch = try makeScratchDirectory("memory")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let queue = "/dev/shm/conductor-bench-memory-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: queue) }
        try ScalingBenchmark.writeTasks(count: tasks, to: "\(scratch)/tasks.json")
        let pool = try (0..<workers).map { try startBackground([conductor, "worker", String($0), scratch, "--queue", queue]) }
        defer { pool.forEach { $0.terminate(); $0.waitUntilExit() } }
        try DispatchBenchmark.waitForWorkers(queue: queue, count: workers)
        var peakOrchestrator = 0
        let seconds = try time {
            let output = try shell(["/usr/bin/time", "-f", "%M", conductor, "orchestrator", String(workers), "\(scratch)/tasks.json",
                                    "--queue", queue, "--journal", "\(queue)/journal.jsonl", "--json"], captureStderr: true)
            peakOrchestrator = Int(output.split(separator: "\n").last.map(String.init) ?? "") ?? 0
        }
        let workerPeaks = pool.compactMap { DispatchBenchmark.peakRSS(of: $0.processIdentifier) }
        let workerShares = pool.compactMap { DispatchBenchmark.proportionalSetSize(of: $0.processIdentifier) }.sorted()
        print(String(format: "memory: %d tasks on %d workers in %.1f s; orchestrator peak RSS %.1f MB; worker peak RSS max %.1f MB, median %.1f MB; worker PSS median %.1f MB",
                     tasks, workers, seconds, Double(peakOrchestrator) / 1024, Double(workerPeaks.max() ?? 0) / 1024,
                     Double(workerPeaks.sorted()[workerPeaks.count / 2]) / 1024, Double(workerShares.isEmpty ? 0 : workerShares[workerShares.count / 2]) / 1024))
    }
}
