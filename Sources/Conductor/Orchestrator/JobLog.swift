import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
import Queue
#endif

/// GNU parallel's `--joblog` format, so existing tooling can read conductor's runs:
/// `Seq Host Starttime JobRuntime Send Receive Exitval Signal Command`, tab-separated.
final class JobLog {
    private let descriptor: Int32
    private var sequence = 0

    init(path: String) throws {
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw QueueError.io("open job log \(path)", errno) }
        RawFile.write(Data("Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n".utf8), to: descriptor)
    }

    deinit {
        close(descriptor)
    }

    func record(_ result: TaskResult) {
        sequence += 1
        let outcome = result.result
        let start = outcome.startedAt?.timeIntervalSince1970 ?? Date().timeIntervalSince1970
        let received = outcome.output.utf8.count + (outcome.stderr?.utf8.count ?? 0)
        let host = result.worker.map { "worker\($0)" } ?? ":"
        let exitValue = outcome.exitCode ?? (outcome.status == .done ? 0 : -1)
        let fields: [String] = [
            String(sequence), host, Format.fixed(start, 3), Format.fixed(Double(outcome.durationMs) / 1000, 3), "0",
            String(received), String(exitValue), String(outcome.signal ?? 0), result.task.summary,
        ]
        RawFile.write(Data((fields.joined(separator: "\t") + "\n").utf8), to: descriptor)
    }
}
