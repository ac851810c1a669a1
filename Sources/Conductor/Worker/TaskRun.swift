import FoundationEssentials
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import FoundationShims
import Git
import Queue

/// Runs one assignment to its outcome: starts the process, waits (with the timeout), reads the
/// logs and the agent's report, commits the task's changes when asked (see `TaskCommit`).
struct TaskRun {
    let assignment: TaskAssignment
    let slot: WorkerSlot
    let configuration: WorkerConfiguration

    /// Performs the task. `started` is told about the child process when it starts (and nil when
    /// it could not start), so the worker can end it on a stop; `activity` about what a prompt
    /// task's agent is doing as its events come (see `AgentActivity.Feed`).
    func perform(started: (ChildProcess?) -> Void, activity: @escaping @Sendable (TaskActivity, _ changed: Bool) -> Void) -> TaskOutcome {
        let startedAt = Date()
        let stem = "\(slot.logsDirectory)/\(assignment.seq)-\(Self.safeFileName(assignment.id))"
        let directory = assignment.cwd ?? configuration.directory
        var outcome = TaskOutcome(
            taskId: assignment.id, seq: assignment.seq, status: .error, startedAt: startedAt,
            worker: configuration.id, workerPid: getpid(), attempt: assignment.attempt, cwd: directory)
        let commitStep = assignment.commit.map { TaskCommit(request: $0, assignment: assignment, workerDirectory: configuration.directory) }
        if commitStep?.recordEarlierAttempt(into: &outcome) == true { return finished(outcome) }
        commitStep?.noteEarlierAttemptsLeftovers(into: &outcome)
        if let failure = runSetup(in: directory, stem: stem, started: started, warningsInto: &outcome) {
            outcome.error = failure
            return finished(outcome)
        }
        let exit: ChildProcess.Exit
        let (stdoutPath, stderrPath) = (stem + ".stdout", stem + ".stderr")
        let madeLogs: Set<String>
        let lost: [LogCaptureError]
        let feed = activityFeed(activity)
        do {
            let child = try ChildProcess(
                arguments: try arguments(), directory: directory, environment: environment(),
                stdoutPath: stdoutPath, stderrPath: stderrPath, logLimit: configuration.logLimit,
                stdinPath: try standardInput(stem: stem), stdoutLines: feed.map { feed in { @Sendable line in feed.take(line) } })
            started(child)
            exit = child.wait(timeout: assignment.timeout ?? configuration.defaultTimeout, grace: configuration.grace)
            started(nil)
            (madeLogs, lost) = (child.madeLogs, child.logFailures)
        } catch {
            started(nil)
            outcome.error = "\(error)"
            return finished(outcome)
        }
        outcome.exitCode = exit.status
        outcome.signal = exit.signal
        outcome.ending.warn(lost.map { "output was not kept: \($0)" })
        // A stream that wrote nothing has no log (see `LogCapture`).
        outcome.stdoutLog = madeLogs.contains(stdoutPath) ? stdoutPath : nil
        outcome.stderrLog = madeLogs.contains(stderrPath) ? stderrPath : nil
        let stdout = outcome.stdoutLog.flatMap { RawFile.head($0, limit: assignment.prompt != nil ? 16 << 20 : configuration.outputLimit) } ?? Data()
        outcome.stderr = Self.text(outcome.stderrLog.flatMap { RawFile.tail($0, limit: configuration.outputLimit) })
        // An agent's answer is its stdout: one that was not kept cannot be read, whatever the agent said.
        let lostAnswer = assignment.prompt != nil ? lost.first { $0.path == stdoutPath } : nil
        var agentFailed = false
        if assignment.prompt != nil,
           let reading = AgentOutput.read(stdout, stderr: outcome.stderr, exitStatus: exit.status, format: (try? agent())?.output ?? .text) {
            outcome.output = String(reading.text.prefix(configuration.outputLimit))
            outcome.agent = reading.report
            agentFailed = AgentOutput.reportsFailure(reading.report)
        } else {
            outcome.output = Self.text(stdout.prefix(configuration.outputLimit))
        }
        // A preset whose output is not what that agent prints (another program under its name, a
        // crash before any output) did not do the task, whatever its exit code says.
        let unreadable = assignment.prompt != nil && outcome.agent == nil && ((try? agent())?.requiresStructuredOutput ?? false)
        if exit.cancelled {
            outcome.status = .cancelled
            outcome.error = "cancelled: the worker was stopped while the task ran"
        } else if exit.timedOut {
            outcome.status = .timeout
            outcome.error = "timed out after \((assignment.timeout ?? configuration.defaultTimeout ?? 0).formatted()) s; its process group was ended"
        } else if let lostAnswer {
            outcome.status = .error
            outcome.error = "the agent ran, but its answer was not kept: \(lostAnswer)"
        } else if exit.status == 0 && !agentFailed && !unreadable {
            outcome.status = .done
        } else {
            outcome.status = .error
            if let signal = exit.signal { outcome.error = "ended by signal \(signal)" }
            else if agentFailed, let report = outcome.agent { outcome.error = AgentOutput.failureReason(report, answer: outcome.output) }
            else if unreadable {
                let said = FailureReason.tellingLine(outcome.output) ?? FailureReason.tellingLine(outcome.stderr) ?? "no output"
                outcome.error = "the agent's output is not what \((try? agent())?.program ?? "it") prints with these options (\(said)); is it the right program?"
            }
            else { outcome.error = "exited with status \(exit.status ?? -1)" }
        }
        if let commitStep, outcome.status != .cancelled {
            commitStep.commit(into: &outcome)
        }
        return finished(outcome)
    }

    /// Stamps the finish time and duration.
    private func finished(_ outcome: TaskOutcome) -> TaskOutcome {
        var outcome = outcome
        outcome.finishedAt = Date()
        outcome.durationMs = Int(outcome.finishedAt.timeIntervalSince(outcome.startedAt) * 1000)
        return outcome
    }

    /// Runs the assignment's setup command unless its marker says it already ran; returns why it
    /// failed, or nil (with a warning in `outcome` when its output was not kept).
    private func runSetup(in directory: String, stem: String, started: (ChildProcess?) -> Void, warningsInto outcome: inout TaskOutcome) -> String? {
        guard let setup = assignment.setup, let marker = assignment.setupMarker,
              !FileManager.default.fileExists(atPath: marker) else { return nil }
        do {
            let child = try ChildProcess(
                arguments: ["/bin/sh", "-c", setup], directory: directory, environment: environment(),
                stdoutPath: stem + ".setup.stdout", stderrPath: stem + ".setup.stderr", logLimit: configuration.logLimit)
            started(child)
            let exit = child.wait(timeout: assignment.timeout ?? configuration.defaultTimeout, grace: configuration.grace)
            started(nil)
            guard exit.status == 0, !exit.cancelled, !exit.timedOut else {
                let logs = [stem + ".setup.stderr", stem + ".setup.stdout"].filter(child.madeLogs.contains)
                let said = logs.lazy.compactMap { FailureReason.tellingLine(Self.text(RawFile.tail($0, limit: 65_536))) }.first
                let lost = child.logFailures.map { "; its output was not kept: \($0)" }.joined()
                return "the setup command failed (\(exit.timedOut ? "timed out" : exit.cancelled ? "cancelled" : "exit \(exit.status ?? -1)"))"
                    + (said.map { ": \($0)" } ?? "") + (logs.first.map { "; see \($0)" } ?? (lost.isEmpty ? "; it printed nothing" : "")) + lost
            }
            outcome.ending.warn(child.logFailures.map { "the setup command's output was not kept: \($0)" })
            try PrivateDirectory.make(Path.parent(marker))
            try AtomicFile.write(Data(), to: marker)
            return nil
        } catch {
            started(nil)
            return "the setup command could not run: \(error)"
        }
    }

    /// The prompt's file when it is too long for an argument (it goes on standard input), else `/dev/null`.
    private func standardInput(stem: String) throws -> String {
        guard assignment.command == nil, let prompt = assignment.prompt, Agent.promptGoesOnStandardInput(prompt) else { return "/dev/null" }
        try AtomicFile.write(Data(prompt.utf8), to: stem + ".prompt")
        return stem + ".prompt"
    }

    /// A reader of the agent's events for a prompt task whose agent prints them as it works.
    private func activityFeed(_ activity: @escaping @Sendable (TaskActivity, Bool) -> Void) -> AgentActivity.Feed? {
        guard assignment.command == nil, let format = (try? agent())?.output, AgentActivity.follows(format) else { return nil }
        return AgentActivity.Feed(format: format, report: activity)
    }

    /// The task's own agent when it names one, else the worker's.
    private func agent() throws -> Agent {
        try assignment.agent.map { try Agent.named($0) } ?? configuration.agent
    }

    private func arguments() throws -> [String] {
        if let command = assignment.command { return ["/bin/sh", "-c", command] }
        return try agent().arguments(for: assignment.prompt ?? "", searchPath: configuration.environment["PATH"])
    }

    /// The worker's environment plus the task's identity, so scripts and agents can tell where they run.
    private func environment() -> [String: String] {
        var environment = configuration.environment
        environment["CONDUCTOR_TASK_ID"] = assignment.id
        environment["CONDUCTOR_WORKER"] = configuration.name ?? String(configuration.id)
        environment["CONDUCTOR_SEQ"] = String(assignment.seq)
        environment["CONDUCTOR_ATTEMPT"] = String(assignment.attempt)
        environment["CONDUCTOR_PORT"] = String(configuration.firstPort)
        environment.merge(WorkerSlot.identity(queue: configuration.queue.path, seq: assignment.seq)) { $1 }
        return environment
    }

    static func safeFileName(_ id: String) -> String {
        String(id.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" }.prefix(64))
    }

    static func text<Bytes: Collection<UInt8>>(_ data: Bytes?) -> String {
        guard let data else { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}
