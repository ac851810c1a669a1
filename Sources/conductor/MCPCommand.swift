import ArgumentParser
import Conductor
import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

struct MCPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve a session's queue to an agent as MCP tools (Model Context Protocol over stdio).",
        discussion: """
        An MCP client (Claude Code, Codex, Gemini CLI, Cursor) starts this command and talks JSON-RPC 2.0 \
        to it on standard input and output; logs go to standard error. Its tools: submit (hand out tasks, \
        with wait: true get their results back, with progress notifications), status (the workers and \
        what each is doing now), results (a submission's results by id), report (the merge report), show \
        (one task's answer and diff) and merge (build the integration branch task by task). Cancelling a \
        waiting submit ends its running tasks.

        `conductor launch` writes <dir>/<name>/mcp.json for the session, in Claude Code's --mcp-config \
        format, and prints the command that starts Claude Code with it.

        Examples:
          claude --mcp-config ~/conductor-work/review/mcp.json
          claude mcp add conductor -- conductor mcp -n review -d ~/conductor-work
        """
    )

    @OptionGroup var target: QueueTargetOptions

    func validate() throws {
        try target.queueOptions.requireDirectory(for: "mcp")
    }

    func run() throws {
        let queue = try target.root()
        // Standard output carries protocol messages only: anything else printed goes to standard error.
        let protocolOutput = dup(STDOUT_FILENO)
        guard protocolOutput >= 0, dup2(STDERR_FILENO, STDOUT_FILENO) >= 0 else {
            throw QueueError.io("set aside standard output for the MCP messages", errno)
        }
        signal(SIGPIPE, SIG_IGN)
        printError("conductor mcp: serving the queue \(queue.path)")
        MCPServer(tools: MCPTools(queue: queue), input: STDIN_FILENO, output: protocolOutput).serve()
    }
}
