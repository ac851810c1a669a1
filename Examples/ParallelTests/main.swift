// The seed's second example: test suites run side by side, one worker each.
//
//   swift run example-parallel-tests [DIR] ['cmd 1' 'cmd 2' …]
//
// Without commands it runs three stand-ins; pass your own (e.g. 'swift test --filter Unit').
import Conductor
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
let directory = arguments.first ?? FileManager.default.currentDirectoryPath
let commands = arguments.count > 1 ? Array(arguments.dropFirst())
    : ["echo unit tests passed", "echo integration tests passed", "echo lint clean"]
let results = try withOrchestrator(workers: commands.count, launch: WorkerLaunch(directory: directory)) { orchestrator in
    try orchestrator.executeTasks(commands.enumerated().map { .command($1, id: "suite-\($0 + 1)") })
}
for record in results {
    let seconds = Double(record.result.durationMs) / 1000
    print("\(record.task.command ?? ""): \(record.result.status.rawValue) in \(seconds) s (exit \(record.result.exitCode.map(String.init) ?? "-"))")
}
exit(results.allSatisfy { $0.result.status.succeeded } ? 0 : 1)
