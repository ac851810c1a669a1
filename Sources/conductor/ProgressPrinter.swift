import Conductor
import FoundationEssentials
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import FoundationShims
import Synchronization

/// Progress of a run on stderr: one plain line per event, or, on a terminal, a status line
/// redrawn in place (done/total, running, failed, cancelled, skipped, elapsed, ETA) with finished
/// tasks above it. A failed task's line ends with its reason (`TaskResult.Outcome.reason`).
/// What agents are doing (`OrchestratorEvent.activity`) is a line of its own, or on a terminal
/// the end of the status line.
final class ProgressPrinter: Sendable {
    /// What the status line counts.
    private struct Counts {
        /// Tasks in the run: more than at the start when tasks join it (submitted to a shared batch).
        var total: Int
        var done = 0
        /// Tasks that ended `error` or `timeout`, as the summary line counts failures (with timeouts).
        var failed = 0
        var cancelled = 0
        var skipped = 0
        var running = 0
        var interrupted = false
        /// The last thing an agent was seen doing, shown at the end of the status line.
        var lastActivity: String?
    }

    private let started = Date()
    private let interactive = stderrIsTerminal
    /// Held while a line is printed, so lines never interleave.
    private let counts: Mutex<Counts>

    /// How a worker is named in lines: its number, or a remote batch's worker name.
    private let workerName: @Sendable (Int) -> String

    init(total: Int, workerName: @escaping @Sendable (Int) -> String = { String($0) }) {
        counts = Mutex(Counts(total: total))
        self.workerName = workerName
    }

    func handle(_ event: OrchestratorEvent) {
        counts.withLock { counts in
            switch event {
            case .assigned(let index, let task, let worker, let attempt):
                counts.total = max(counts.total, index + 1)
                counts.running += 1
                if !interactive { emit("start     \(task.id) on worker \(workerName(worker))" + (attempt > 1 ? " (attempt \(attempt))" : "")) }
            case .waitingForUsageLimit(let until, let reason):
                emit("waiting   for the usage limit to reset at \(Format.clockTime(until)) (prompts wait, commands go on): \(reason.prefix(120))")
            case .retrying(_, let task, let reason, let delay):
                counts.running = max(0, counts.running - 1)
                emit("retry     \(task.id)" + (delay > 0 ? " in \(Format.fixed(delay, 1)) s" : "") + ": \(reason)")
            case .activity(_, let task, let worker, let activity):
                let line = "\(task.id) on worker \(workerName(worker)): \(FailureReason.printable(activity.described))"
                if interactive { counts.lastActivity = line } else { emit("activity  " + line) }
            case .finished(let index, let result):
                counts.total = max(counts.total, index + 1)
                if result.worker != nil && result.result.attempts > 0 && result.result.status != .skipped { counts.running = max(0, counts.running - 1) }
                counts.done += 1
                switch result.result.status {
                case .done: break
                case .error, .timeout: counts.failed += 1
                case .cancelled: counts.cancelled += 1
                case .skipped: counts.skipped += 1
                }
                let seconds = Format.fixed(Double(result.result.durationMs) / 1000, 1) + " s"
                let why = result.result.status.succeeded ? "" : " — " + (result.result.reason ?? result.result.error ?? "")
                emit("\(result.result.status.rawValue.padded(to: 9)) \(result.task.id) (\(seconds))\(why.prefix(160))")
            }
            if interactive { drawStatus(counts) }
        }
    }

    /// Says that the run was interrupted, the first time only: Ctrl-C pressed twice, or SIGINT
    /// then SIGTERM, makes one line.
    func noteInterrupt(_ line: String) {
        counts.withLock { counts in
            guard !counts.interrupted else { return }
            counts.interrupted = true
            emit(line)
        }
    }

    private func emit(_ line: String) {
        printError(interactive ? "\r\u{1B}[2K" + line : line)
    }

    private func drawStatus(_ counts: Counts) {
        let elapsed = Date().timeIntervalSince(started)
        let eta = counts.done > 0 && counts.done < counts.total ? ", ETA \(Format.fixed(elapsed / Double(counts.done) * Double(counts.total - counts.done), 0)) s" : ""
        let shown = ["\(counts.running) running", "\(counts.failed) failed"] + (counts.cancelled > 0 ? ["\(counts.cancelled) cancelled"] : [])
            + (counts.skipped > 0 ? ["\(counts.skipped) skipped"] : [])
        let activity = counts.running > 0 ? counts.lastActivity.map { " · " + $0.prefix(90) } ?? "" : ""
        let line = "[\(counts.done)/\(counts.total)] " + shown.joined(separator: ", ") + ", \(Format.fixed(elapsed, 0)) s elapsed" + eta + activity
        RawFile.write(Data(("\r\u{1B}[2K" + line + (counts.done == counts.total ? "\n" : "")).utf8), to: STDERR_FILENO)
    }
}
