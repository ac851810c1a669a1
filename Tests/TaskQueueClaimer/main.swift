import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import Queue

/// `task-queue-claimer DIR WORKER`: claims the tasks of the directory queue in `DIR` as worker
/// `WORKER`, one after the other, completing each with `{"worker": WORKER}`, until none is left;
/// prints each task claimed (`batch/id`). Several of these at once are the processes of
/// `DirectoryTaskQueueProcessTests`, which checks that they took every task exactly once.
let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    print("usage: task-queue-claimer DIR WORKER")
    exit(2)
}
do {
    let queue = try DirectoryTaskQueue(directory: arguments[1])
    var claimed: [String] = []
    while let claim = try queue.claim(worker: arguments[2], lease: 60, batch: nil) {
        guard try queue.complete(claim, succeeded: true, result: #"{"worker": "\#(arguments[2])"}"#) else {
            print("error: the completion of \(claim.batch)/\(claim.task) was refused")
            exit(1)
        }
        claimed.append("\(claim.batch)/\(claim.task)")
    }
    print(claimed.joined(separator: "\n"))
} catch {
    print("error: \(error)")
    exit(1)
}
