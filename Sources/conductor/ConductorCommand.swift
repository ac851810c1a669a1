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

        Shell completion, batch and session names after -n included: `make install` puts it in place \
        for bash, zsh and fish, or load it yourself:
          source <(conductor --generate-completion-script bash)
        """,
        version: Conductor.version,
        subcommands: [
            BatchCommand.self, ListCommand.self, ReportCommand.self, ShowCommand.self, DiffCommand.self, MergeCommand.self, PushCommand.self,
            PruneCommand.self, FollowupCommand.self,
            LaunchCommand.self, SubmitCommand.self, StopCommand.self, MCPCommand.self,
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
            var message = isUsage ? fullMessage(for: error) : Failure.message(for: error)
            if message.hasPrefix("Error: ") { message.removeFirst("Error: ".count) }
            if isUsage, let suggestion = suggestion(for: Array(CommandLine.arguments.dropFirst())) { message += "\n" + suggestion }
            if CommandLine.arguments.contains("--json") {
                try? printJSON(["error": message.split(separator: "\n").first.map(String.init) ?? message])
            }
            printError("conductor: \(message)")
            Glibc.exit(isUsage ? Failure.badInput.rawValue : Failure.code(for: error).rawValue)
        }
    }

    /// "did you mean …" for a mistyped subcommand: the closest name within two edits, or the only one it starts.
    private static func suggestion(for arguments: [String]) -> String? {
        guard let word = arguments.first, !word.hasPrefix("-") else { return nil }
        let names = configuration.subcommands.map { $0.configuration.commandName ?? "" }
        guard !names.contains(word) else { return nil }
        let scored = names.map { (name: $0, distance: editDistance(word, $0)) }.sorted { $0.distance < $1.distance }
        let prefixed = names.filter { $0.hasPrefix(word) }
        guard let best = scored.first.flatMap({ $0.distance <= 2 ? $0.name : nil }) ?? (prefixed.count == 1 ? prefixed[0] : nil) else { return nil }
        return "did you mean 'conductor \(best)'? (conductor --help lists the commands)"
    }

    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}
