// The seed's third example: a pipeline where each step sees the last one's work, stopping at the
// first failure.
//
//   swift run example-sequential-pipeline [DIR]
import Conductor
import Foundation

let directory = CommandLine.arguments.dropFirst().first ?? FileManager.default.currentDirectoryPath
let results = try withOrchestrator(workers: 1, launch: WorkerLaunch(directory: directory)) { orchestrator in
    try orchestrator.executeSequential([
        .prompt("Analyse src/math.py and write your findings to ANALYSIS.md.", id: "analyse"),
        .prompt("Read ANALYSIS.md and fix the problems it lists in src/math.py.", id: "implement"),
        .command("python3 -c 'import sys; sys.path.insert(0, \"src\"); import math as m' && echo checks passed", id: "check"),
    ], stopOnError: true)
}
for record in results {
    print("\(record.task.id): \(record.result.status.rawValue) \(record.result.output.trimmingCharacters(in: .whitespacesAndNewlines))")
}
exit(results.allSatisfy { $0.result.status.succeeded } ? 0 : 1)
