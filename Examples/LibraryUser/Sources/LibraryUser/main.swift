// Runs a small batch of shell commands on two workers with Conductor's async API, then prints
// each result and a summary.
//
//   swift run --package-path Examples/LibraryUser library-user [DIR]
//
// The tasks run in DIR (default: the current directory) and each leaves a file there. The
// workers are this program itself, started again by Conductor (see `WorkerEntry`): the
// `conductor` executable need not be installed.
import Conductor
import Foundation

let directory = CommandLine.arguments.dropFirst().first ?? FileManager.default.currentDirectoryPath
let tasks: [TaskSpec] = ["alpha", "beta", "gamma"].map { name in
    .command("echo \(name) > \(name).txt && echo \(name) ran", id: name)
}

do {
    let report = try await withOrchestrator(workers: 2, launch: WorkerLaunch(directory: directory)) { orchestrator in
        try await orchestrator.run(tasks)
    }
    for record in report.results {
        let output = record.result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        print("\(record.task.id): \(record.result.status.rawValue) on worker \(record.worker.map(String.init) ?? "-"): \(output)")
    }
    print("\(report.summary.succeeded) of \(report.results.count) tasks succeeded")
    exit(report.summary.allSucceeded ? 0 : 1)
} catch {
    FileHandle.standardError.write(Data("library-user: \(error)\n".utf8))
    exit(2)
}
