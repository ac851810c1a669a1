import FoundationEssentials
import Queue

/// A session's MCP configuration in Claude Code's `--mcp-config` format: one server, `conductor`,
/// which runs `conductor mcp -n NAME -d DIR` on the session's queue. `conductor launch` writes it
/// into the session's directory (never the user's repository).
package struct MCPConfig: Encodable, Sendable {
    package struct Server: Encodable, Sendable {
        package let command: String
        package let args: [String]
    }

    package let mcpServers: [String: Server]

    /// `<session directory>/mcp.json`.
    package static func file(for session: BatchRecord) -> String {
        session.directory + "/mcp.json"
    }

    /// The one command that starts Claude Code with the session's tools.
    package static func claudeCommand(for session: BatchRecord) -> String {
        let file = file(for: session)
        let plain = file.allSatisfy { $0.isLetter || $0.isNumber || "/._-+~:@".contains($0) }
        return "claude --mcp-config " + (plain ? file : Tmux.quote(file))
    }

    /// Writes the configuration for `session` (in store `store`), its server run by `executable`.
    ///
    /// - Throws: `QueueError` when the file cannot be written.
    package static func write(for session: BatchRecord, store: BatchStore, executable: String) throws {
        let config = MCPConfig(mcpServers: ["conductor": Server(command: executable, args: ["mcp", "-n", session.name, "-d", store.path])])
        try AtomicFile.write(try PrettyJSON.encode(config) + Data("\n".utf8), to: file(for: session))
    }
}
