import Foundation
import Queue

/// 1,000 `true` tasks on 4 workers: conductor's orchestrator against `xargs -P4` and GNU
/// `parallel -j4`, each running `sh -c true` 1,000 times, in one run. Also the workers' peak RSS,
/// and the CPU time per task of conductor's own processes (orchestrator and workers) beside that of
/// the `sh` they run and of xargs with its `sh`: the wall time cannot drop below the CPU time over
/// the cores, which bounds the ratio to xargs from below.
enum DispatchBenchmark {
    static let tasks = 1_000
    static let workers = 4
    static let rounds = 3

    static func run() throws {
        let conductor = try locateConductor()
        let scratch = try makeScratchDirectory("dispatch")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let tasksFile = "\(scratch)/tasks.json"
        let list = (0..<tasks).map { _ in #"{"command": "true"}"# }.joined(separator: ",")
        try "[\(list)]".write(toFile: tasksFile, atomically: true, encoding: .utf8)
        print("dispatch: \(tasks) × `true` on \(workers) workers, median of \(rounds) rounds (every queue file written atomically, journal fsync'd)")
        settleDisk()

        var queues = [("queue on disk (\(FileManager.default.temporaryDirectory.path))", "\(scratch)/queue")]
        if FileManager.default.fileExists(atPath: "/dev/shm") {
            queues.append(("queue on tmpfs (/dev/shm)", "/dev/shm/conductor-bench-\(getpid())"))
        }
        var peaks: [Int] = [], shares: [Int] = []
        for (label, queue) in queues {
            defer { try? FileManager.default.removeItem(atPath: queue) }
            let workerProcesses = try (0..<workers).map { id in
                try startBackground([conductor, "worker", String(id), scratch, "--queue", queue])
            }
            defer { workerProcesses.forEach { $0.terminate(); $0.waitUntilExit() } }
            try waitForWorkers(queue: queue, count: workers)
            var ours: [Double] = [], xargs: [Double] = [], parallel: [Double] = []
            // On a disk, also conductor with its journal on tmpfs: what the journal's fsync before
            // each assignment costs (a comparison only; without it a power loss could hide a run).
            let journalOnTmpfs = queue.hasPrefix("/dev/shm") || !FileManager.default.fileExists(atPath: "/dev/shm")
                ? nil : "/dev/shm/conductor-bench-\(getpid())-journal.jsonl"
            defer { journalOnTmpfs.map { try? FileManager.default.removeItem(atPath: $0) } }
            var oursJournalOnTmpfs: [Double] = []
            var conductorCPU: [Double] = [], shCPU: [Double] = [], xargsCPU: [Double] = []
            for _ in 0..<rounds {
                let before = workerProcesses.map { cpuSeconds(of: $0.processIdentifier) }
                let orchestratorBefore = childrenCPUSeconds()
                ours.append(try time { try shell([conductor, "orchestrator", String(workers), tasksFile, "--queue", queue, "--journal", "\(queue)/journal.jsonl", "--json"]) })
                let orchestrator = childrenCPUSeconds() - orchestratorBefore
                let after = workerProcesses.map { cpuSeconds(of: $0.processIdentifier) }
                conductorCPU.append(orchestrator + zip(before, after).map { $1.own - $0.own }.reduce(0, +))
                shCPU.append(zip(before, after).map { $1.children - $0.children }.reduce(0, +))
                if let journalOnTmpfs {
                    oursJournalOnTmpfs.append(try time { try shell([conductor, "orchestrator", String(workers), tasksFile, "--queue", queue, "--journal", journalOnTmpfs, "--json"]) })
                }
                let xargsBefore = childrenCPUSeconds()
                xargs.append(try time { try shell(["sh", "-c", "seq \(tasks) | xargs -P\(workers) -I{} sh -c true"]) })
                xargsCPU.append(childrenCPUSeconds() - xargsBefore)
                parallel.append(try time { try shell(["sh", "-c", "seq \(tasks) | parallel -j\(workers) sh -c true"]) })
            }
            peaks += workerProcesses.compactMap { peakRSS(of: $0.processIdentifier) }
            shares += workerProcesses.compactMap { proportionalSetSize(of: $0.processIdentifier) }
            let perTask = { (seconds: Double) in String(format: "%.2f ms/task", seconds * 1000 / Double(tasks)) }
            print("  \(label): conductor \(perTask(median(ours))), xargs -P\(workers) \(perTask(median(xargs))), parallel -j\(workers) \(perTask(median(parallel)))")
            report("  dispatch vs xargs, \(label)", conductor: median(ours), other: median(xargs), otherName: "xargs -P4", target: 1.0)
            report("  dispatch vs GNU parallel, \(label)", conductor: median(ours), other: median(parallel), otherName: "parallel -j4", target: 1.0 / 3)
            if !oursJournalOnTmpfs.isEmpty {
                let unsynced = median(oursJournalOnTmpfs)
                print(String(format: "  the journal's fsync, %@: with its journal on tmpfs (not durable; a comparison only) conductor takes %@, %.2fx parallel -j4, "
                             + "%.2fx xargs -P4: the fsync'd journal costs %.2f ms/task", label, perTask(unsynced), unsynced / median(parallel),
                             unsynced / median(xargs), (median(ours) - unsynced) * 1000 / Double(tasks)))
            }
            let cpu = { (seconds: Double) in String(format: "%.2f", seconds * 1000 / Double(tasks)) }
            let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
            print("  CPU per task, \(label): conductor's processes \(cpu(median(conductorCPU))) ms + their sh \(cpu(median(shCPU))) ms; "
                  + "xargs with its sh \(cpu(median(xargsCPU))) ms; so conductor needs at least "
                  + String(format: "%.2f ms/task on %d cores, %.2fx xargs", (median(conductorCPU) + median(shCPU)) * 1000 / Double(tasks) / cores,
                           Int(cores), (median(conductorCPU) + median(shCPU)) / cores / median(xargs)))
            let floor = try protocolFloor(in: queue + "-floor")
            let xargsPerTask = median(xargsCPU) / Double(tasks)
            print(String(format: "  protocol floor, %@: the queue's files alone (4 atomic rewrites, 3 reads per task; "
                         + "no JSON, no process) cost %.3f ms of CPU per task; with xargs' %.3f ms (its sh included) that bounds any design "
                         + "keeping those files to at least %.2fx xargs where the CPU is the limit", label, floor * 1000, xargsPerTask * 1000,
                         (xargsPerTask + floor) / xargsPerTask))
        }
        if let peak = peaks.max() {
            print(String(format: "worker peak RSS: %.1f MB (target <= 20 MB: %@); proportional set size now: %.1f MB at most (%d workers)",
                         Double(peak) / 1024, peak <= 20 * 1024 ? "met" : "NOT met", Double(shares.max() ?? 0) / 1024, workers))
        }
    }

    /// CPU seconds per task of the file work the queue's protocol does for one task, with
    /// conductor's own primitives and nothing else: the orchestrator writes `task.json`, the worker
    /// reads it and writes `status.json` (working), writes `result.json` and `status.json` (done),
    /// and the orchestrator reads both. A `true` task prints nothing, so it makes no log.
    static func protocolFloor(in directory: String, rounds: Int = 2_000) throws -> Double {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let record = Data(repeating: UInt8(ascii: "x"), count: 300)
        let before = selfCPUSeconds()
        for _ in 0..<rounds {
            try AtomicFile.rewrite(record, to: directory + "/task.json")
            _ = try AtomicFile.read(directory + "/task.json")
            try AtomicFile.rewrite(record, to: directory + "/status.json")
            try AtomicFile.rewrite(record, to: directory + "/result.json")
            try AtomicFile.rewrite(record, to: directory + "/status.json")
            _ = try AtomicFile.read(directory + "/result.json")
            _ = try AtomicFile.read(directory + "/status.json")
        }
        return (selfCPUSeconds() - before) / Double(rounds)
    }

    /// The release `conductor` beside this benchmark binary.
    static func locateConductor() throws -> String {
        let path = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("conductor").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw CommandFailed(description: "build conductor first: swift build -c release (looked for \(path))")
        }
        return path
    }

    static func waitForWorkers(queue: String, count: Int) throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let ready = (0..<count).allSatisfy { FileManager.default.fileExists(atPath: "\(queue)/workers/\($0)/.lock/pid") }
            if ready { return }
            usleep(20_000)
        }
        throw CommandFailed(description: "workers did not start")
    }

    /// The proportional set size of a live process, in KiB: its private pages plus its share of
    /// the pages it shares (the Swift runtime, libgit2), which RSS counts whole in every process.
    static func proportionalSetSize(of pid: Int32) -> Int? {
        guard let rollup = try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8) else { return nil }
        return rollup.split(separator: "\n").first { $0.hasPrefix("Pss:") }
            .flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") }
    }

    /// VmHWM (peak resident set) of a live process, in KiB.
    static func peakRSS(of pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        return status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
            .flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") }
    }
}

/// The CPU seconds a live process used itself, and those of its children it has waited for.
func cpuSeconds(of pid: Int32) -> (own: Double, children: Double) {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return (0, 0) }
    // Fields after the command: state is field 3, utime 14, stime 15, cutime 16, cstime 17.
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    let value = { (field: Int) in Double(fields[field - 3]) ?? 0 }
    return ((value(14) + value(15)) / ticks, (value(16) + value(17)) / ticks)
}

/// The CPU seconds this process used so far.
func selfCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// The CPU seconds of this process's children that have ended and been waited for.
func childrenCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_CHILDREN.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// Starts a process with output discarded and returns it running.
func startBackground(_ arguments: [String]) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: arguments[0])
    process.arguments = Array(arguments.dropFirst())
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
}
