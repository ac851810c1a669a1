import FoundationEssentials
import FoundationShims

/// The one line that says why a task failed, for progress lines and tables; the full text stays
/// in the results and the logs.
///
/// - An agent that reported an error: `agent: ` and the first non-blank line of its result text
///   (else the most telling line of its stderr).
/// - A command that exited non-zero or was ended by a signal: `exit N: ` or `signal N: ` and the
///   most telling line (see `tellingLine`) of its stderr, else of its stdout; with no output at
///   all, the plain `exited with status N`.
/// - Anything else (a timeout, a cancellation, a task that could not start): its `error`.
package enum FailureReason {
    /// The most telling line of a process's output: blank lines, colour codes and make's
    /// `*** [target] Error N` trailers are dropped; then the first line that reads like an error
    /// (`error`, `fatal`, `failed`, `cannot`, `not found`, `no such`, `denied`, `panic`, `***`, or
    /// a `SomethingError:` / `SomethingException:` as Python and Java print) is taken, else the
    /// last line. The first error rather than the last because compilers and linters end with a
    /// count ("1 error generated"); the last line otherwise because a program says what went
    /// wrong last (a traceback ends with the exception).
    package static func tellingLine(_ text: String) -> String? {
        let lines = text.split(whereSeparator: \.isNewline)
            .map { printable(String($0)).trimmed }
            .filter { !$0.isEmpty && $0.contains(where: { $0.isLetter || $0.isNumber }) && !isMakeTrailer($0) }
        return lines.first(where: readsLikeAnError) ?? lines.last
    }

    /// The reason line for an outcome that did not succeed (see the type's rules).
    static func line(for outcome: TaskResult.Outcome) -> String? {
        guard !outcome.status.succeeded else { return nil }
        guard outcome.status == .error else { return outcome.error }
        if let report = outcome.agent, !(report.permissionDenials ?? []).isEmpty {
            return outcome.error.map { "agent: " + printable($0) }
        }
        if outcome.agent?.isError == true {
            let said = outcome.output.split(whereSeparator: \.isNewline).lazy
                .map { printable(String($0)).trimmed }.first { !$0.isEmpty }
            return (said ?? tellingLine(outcome.stderr ?? "")).map { "agent: \($0)" } ?? outcome.error
        }
        // A process that exited 0 and still failed (an agent's answer lost or unreadable) failed for its `error`.
        let how = outcome.signal.map { "signal \($0)" } ?? outcome.exitCode.flatMap { $0 == 0 ? nil : "exit \($0)" }
        guard let how, let line = tellingLine(outcome.stderr ?? "") ?? tellingLine(outcome.output) else { return outcome.error }
        return "\(how): \(line)"
    }

    /// `line` without terminal control: escape sequences (CSI, OSC and the rest) and every other
    /// C0 or C1 control character are dropped, so output shown in a table cannot set a title,
    /// move the cursor or erase what is shown.
    package static func printable(_ line: String) -> String {
        let unescaped = line.replacing(/\u{1B}\[[0-9;?]*[ -\/]*[@-~]/, with: "")
            .replacing(/\u{1B}\][^\u{07}\u{1B}]*(\u{07}|\u{1B}\\)?/, with: "")
            .replacing(/\u{1B}[@-_]?/, with: "")
        return String(String.UnicodeScalarView(unescaped.unicodeScalars.filter { scalar in
            scalar == "\t" || !(scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value))
        }))
    }

    private static func readsLikeAnError(_ line: String) -> Bool {
        line.contains(/(?i)\b(error|errors|fatal|failed|failure|panic|cannot|can't|denied|not found|no such)\b|\*\*\*/)
            || line.contains(/\b\w+(Error|Exception):/)
    }

    /// `make: *** [Makefile:2: test] Error 1`, `make[1]: *** [all] Error 2`: make repeating that a
    /// recipe failed, after the line that says why.
    private static func isMakeTrailer(_ line: String) -> Bool {
        line.wholeMatch(of: /\S*make(\[\d+\])?: \*\*\* \[.*\] Error \d+/) != nil
    }
}

extension TaskResult.Outcome {
    /// The log to read for a task that did not succeed: the agent's transcript (stdout) for a
    /// prompt, the stderr log for a command that wrote to stderr, else its stdout log. Nil for a
    /// task that succeeded or never ran.
    package var failureLog: String? {
        guard !ending.status.succeeded else { return nil }
        let stderrIsEmpty = (run.stderr ?? "").allSatisfy(\.isWhitespace)
        return ending.agent != nil || stderrIsEmpty ? ending.stdoutLog ?? ending.stderrLog : ending.stderrLog ?? ending.stdoutLog
    }
}
