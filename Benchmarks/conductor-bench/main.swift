import Foundation

/// `conductor-bench NAME...`: runs the named benchmarks (all when none is named) and prints,
/// for each, conductor's time beside the tool a user would use instead, measured in one run.
let benchmarks: [String: () throws -> Void] = [
    "batch": BatchSetupBenchmark.run,
    "dispatch": DispatchBenchmark.run,
    "memory": MemoryBenchmark.run,
    "pool": PoolBenchmark.run,
    "postgres": PostgresBenchmark.run,
    "scaling": ScalingBenchmark.run,
    "report": ReportBenchmark.run,
    "worktrees": WorktreeBenchmark.run,
]

let requested = Array(CommandLine.arguments.dropFirst())
let unknown = requested.filter { benchmarks[$0] == nil }
guard unknown.isEmpty else {
    FileHandle.standardError.write(Data("unknown benchmark: \(unknown.joined(separator: ", ")); known: \(benchmarks.keys.sorted().joined(separator: ", "))\n".utf8))
    exit(2)
}
print(Machine.describe())
for name in requested.isEmpty ? benchmarks.keys.sorted() : requested {
    do {
        try benchmarks[name]!()
    } catch {
        FileHandle.standardError.write(Data("benchmark \(name) failed: \(error)\n".utf8))
        exit(1)
    }
}
