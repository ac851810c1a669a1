import Foundation

/// GNU parallel's `--joblog` format, so existing tooling can read conductor's runs:
/// `Seq Host Starttime JobRuntime Send Receive Exitval Signal Command`, tab-separated.
final class JobLog {
    private let handle: FileHandle
    private var sequence = 0

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data("Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n".utf8)) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
    }

    deinit {
        try? handle.close()
    }

    func record(_ result: TaskResult) {
        sequence += 1
        let outcome = result.result
        let start = outcome.startedAt?.timeIntervalSince1970 ?? Date().timeIntervalSince1970
        let received = outcome.output.utf8.count + (outcome.stderr?.utf8.count ?? 0)
        let host = result.worker.map { "worker\($0)" } ?? ":"
        let exitValue = outcome.exitCode ?? (outcome.status == .done ? 0 : -1)
        let line = String(format: "%d\t%@\t%.3f\t%.3f\t0\t%d\t%d\t%d\t%@\n",
                          sequence, host, start, Double(outcome.durationMs) / 1000, received, exitValue,
                          outcome.signal ?? 0, result.task.summary)
        try? handle.write(contentsOf: Data(line.utf8))
    }
}
