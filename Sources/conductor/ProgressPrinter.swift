import Conductor
import Foundation

/// Progress of a run on stderr: one plain line per event, or, on a terminal, a status line
/// redrawn in place (done/total, running, failed, elapsed, ETA) with finished tasks above it.
final class ProgressPrinter: @unchecked Sendable {
    private let total: Int
    private let started = Date()
    private let interactive = stderrIsTerminal
    private let lock = NSLock()
    private var done = 0
    private var failed = 0
    private var running = 0

    init(total: Int) {
        self.total = total
    }

    func handle(_ event: OrchestratorEvent) {
        lock.withLock {
            switch event {
            case .assigned(_, let task, let worker, let attempt):
                running += 1
                if !interactive { emit("start     \(task.id) on worker \(worker)" + (attempt > 1 ? " (attempt \(attempt))" : "")) }
            case .retrying(_, let task, let reason, let delay):
                running = max(0, running - 1)
                emit("retry     \(task.id)" + (delay > 0 ? " in \(String(format: "%.1f", delay)) s" : "") + ": \(reason)")
            case .finished(_, let result):
                if result.worker != nil && result.result.attempts > 0 && result.result.status != .skipped { running = max(0, running - 1) }
                done += 1
                if !result.result.status.succeeded { failed += 1 }
                let seconds = String(format: "%.1f s", Double(result.result.durationMs) / 1000)
                let why = result.result.status.succeeded ? "" : " — " + (result.result.error ?? result.result.stderr ?? "")
                emit("\(result.result.status.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(result.task.id) (\(seconds))\(why.prefix(160))")
            }
            if interactive { drawStatus() }
        }
    }

    /// A free-standing message (an interrupt, say).
    func note(_ line: String) {
        lock.withLock { emit(line) }
    }

    private func emit(_ line: String) {
        printError(interactive ? "\r\u{1B}[2K" + line : line)
    }

    private func drawStatus() {
        let elapsed = Date().timeIntervalSince(started)
        let eta = done > 0 && done < total ? String(format: ", ETA %.0f s", elapsed / Double(done) * Double(total - done)) : ""
        let line = String(format: "[%d/%d] %d running, %d failed, %.0f s elapsed", done, total, running, failed, elapsed) + eta
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line + (done == total ? "\n" : "")).utf8))
    }
}
