// The seed's first example: three code reviews at once, one agent per file.
//
//   swift run example-parallel-review [DIR]
//
// Starts three `conductor worker` processes on a private queue, hands each a review prompt for
// Claude Code (or the agent in $CONDUCTOR_AGENT_CMD), and prints what each found; withOrchestrator
// stops the workers and removes the queue.
import Conductor
import Foundation

let directory = CommandLine.arguments.dropFirst().first ?? FileManager.default.currentDirectoryPath
let results = try withOrchestrator(workers: 3, launch: WorkerLaunch(directory: directory)) { orchestrator in
    try orchestrator.executeTasks([
        .prompt("Review src/auth.py for security bugs. Answer with a short list.", id: "review-auth"),
        .prompt("Review src/math.py for correctness bugs. Answer with a short list.", id: "review-math"),
        .prompt("Review README.md for unclear instructions. Answer with a short list.", id: "review-readme"),
    ])
}
for record in results {
    print("\(record.task.id) [worker \(record.worker.map(String.init) ?? "-"), \(record.result.status.rawValue)]: \(record.result.output)")
}
exit(results.allSatisfy { $0.result.status.succeeded } ? 0 : 1)
