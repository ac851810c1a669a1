import ArgumentParser
import Conductor

@main
struct ConductorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conductor",
        abstract: "Run a batch of coding-agent prompts or shell commands on parallel workers, each in its own git worktree.",
        version: Conductor.version,
        subcommands: []
    )
}
