import ArgumentParser
import Conductor
import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

@main
struct ConductorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conductor",
        abstract: "Run a batch of coding-agent prompts or shell commands on parallel workers, each in its own git worktree.",
        discussion: """
        Workers take tasks from a filesystem queue (default ~/.claude-code/orchestrator, or --queue DIR, \
        or $CONDUCTOR_HOME) that you can read with ls, cat and jq:
          <queue>/workers/<n>/task.json  status.json  result.json  .lock/pid  logs/

        Exit codes: 0 every task succeeded; 1 a task failed (or prune kept something); 2 bad input (arguments, \
        tasks file, an unknown batch); \
        3 the environment stopped the run (no live worker, queue busy, git or disk error); 130 interrupted.
        """,
        version: Conductor.version,
        subcommands: [
            BatchCommand.self, ReportCommand.self, MergeCommand.self, PruneCommand.self,
            LaunchCommand.self, SubmitCommand.self, StopCommand.self,
            WorkerCommand.self, OrchestratorCommand.self, StatusCommand.self, ResetCommand.self,
        ]
    )

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let exit as ExitCode {
            Glibc.exit(exit.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Glibc.exit(0)
            }
            let isUsage = code == .validationFailure || error is ValidationError
            printError("conductor: \(isUsage ? fullMessage(for: error) : Failure.message(for: error))")
            Glibc.exit(isUsage ? Failure.badInput.rawValue : Failure.code(for: error).rawValue)
        }
    }
}
