import Conductor
import FoundationEssentials
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import FoundationShims

/// Progress of a run on stderr: one plain line per event, or, on a terminal, a status line
/// redrawn in place (done/total, running, failed, cancelled, skipped, elapsed, ETA) with finished
/// tasks above it. A failed task's line ends with its reason (`TaskResult.Outcome.reason`).
/// What agents are doing (`OrchestratorEvent.activity`) is a line of its own, or on a terminal
/// the end of the status line.
final class ProgressPrinter: @unchecked Sendable {
    private let total: Int
    private let started = Date()
    private let interactive = stderrIsTerminal
    private let lock = Lock()
    private var done = 0
    /// Tasks that ended `error` or `timeout`, as the summary line counts failures (with timeouts).
    private var failed = 0
    private var cancelled = 0
    private var skipped = 0
    private var running = 0
    private var interrupted = false
    /// The last thing an agent was seen doing, shown at the end of the status line.
    private var lastActivity: String?

    init(total: Int) {
        self.total = total
    }

    func handle(_ event: OrchestratorEvent) {
        lock.withLock {
            switch event {
            case .assigned(_, let task, let worker, let attempt):
                running += 1
                if !interactive { emit("start     \(task.id) on worker \(worker)" + (attempt > 1 ? " (attempt \(attempt))" : "")) }
            case .waitingForUsageLimit(let until, let reason):
                emit("waiting   for the usage limit to reset at \(Format.clockTime(until)) (prompts wait, commands go on): \(reason.prefix(120))")
            case .retrying(_, let task, let reason, let delay):
                running = max(0, running - 1)
                emit("retry     \(task.id)" + (delay > 0 ? " in \(Format.fixed(delay, 1)) s" : "") + ": \(reason)")
            case .activity(_, let task, let worker, let activity):
                let line = "\(task.id) on worker \(worker): \(FailureReason.printable(activity.described))"
                if interactive { lastActivity = line } else { emit("activity  " + line) }
            case .finished(_, let result):
                if result.worker != nil && result.result.attempts > 0 && result.result.status != .skipped { running = max(0, running - 1) }
                done += 1
                switch result.result.status {
                case .done: break
                case .error, .timeout: failed += 1
                case .cancelled: cancelled += 1
                case .skipped: skipped += 1
                }
                let seconds = Format.fixed(Double(result.result.durationMs) / 1000, 1) + " s"
                let why = result.result.status.succeeded ? "" : " — " + (result.result.reason ?? result.result.error ?? "")
                emit("\(result.result.status.rawValue.padded(to: 9)) \(result.task.id) (\(seconds))\(why.prefix(160))")
            }
            if interactive { drawStatus() }
        }
    }

    /// Says that the run was interrupted, the first time only: Ctrl-C pressed twice, or SIGINT
    /// then SIGTERM, makes one line.
    func noteInterrupt(_ line: String) {
        lock.withLock {
            guard !interrupted else { return }
            interrupted = true
            emit(line)
        }
    }

    private func emit(_ line: String) {
        printError(interactive ? "\r\u{1B}[2K" + line : line)
    }

    private func drawStatus() {
        let elapsed = Date().timeIntervalSince(started)
        let eta = done > 0 && done < total ? ", ETA \(Format.fixed(elapsed / Double(done) * Double(total - done), 0)) s" : ""
        let counts = ["\(running) running", "\(failed) failed"] + (cancelled > 0 ? ["\(cancelled) cancelled"] : [])
            + (skipped > 0 ? ["\(skipped) skipped"] : [])
        let activity = running > 0 ? lastActivity.map { " · " + $0.prefix(90) } ?? "" : ""
        let line = "[\(done)/\(total)] " + counts.joined(separator: ", ") + ", \(Format.fixed(elapsed, 0)) s elapsed" + eta + activity
        RawFile.write(Data(("\r\u{1B}[2K" + line + (done == total ? "\n" : "")).utf8), to: STDERR_FILENO)
    }
}
