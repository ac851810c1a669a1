import FoundationEssentials
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import FoundationShims
import Queue
import Synchronization

/// A Model Context Protocol server over stdio (JSON-RPC 2.0, one message a line): `initialize`
/// with version negotiation, `ping`, `tools/list`, `tools/call` (each call on its own thread, so
/// a long `submit` neither blocks other calls nor the reading of `notifications/cancelled`).
/// A malformed message gets a JSON-RPC error; nothing but protocol messages is written to
/// `output`.
package final class MCPServer: Sendable {
    /// The protocol revisions this server speaks, oldest first; a client asking for another gets the newest.
    package static let protocolVersions = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"]

    private let tools: MCPTools
    private let input: Int32
    private let output: Int32
    /// Held while a message is written, so two never interleave.
    private let writeLock = Mutex(())
    /// The calls running, by request id, with their tool's name.
    private let calls = Mutex<[String: (tool: String, call: MCPToolCall)]>([:])
    private let running = DispatchGroup()

    /// - Parameters:
    ///   - tools: what `tools/call` runs.
    ///   - input: the descriptor messages are read from (the client's requests and notifications).
    ///   - output: the descriptor replies and notifications are written to.
    package init(tools: MCPTools, input: Int32, output: Int32) {
        self.tools = tools
        self.input = input
        self.output = output
    }

    /// Serves until the input ends, then waits for the calls still running: a `submit` that waits
    /// for its tasks is cancelled (the client is gone), the others finish and are answered.
    package func serve() {
        var pending = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(input, &buffer, buffer.count)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            pending.append(contentsOf: buffer[0..<count])
            while let newline = pending.firstIndex(of: 0x0A) {
                let line = pending[pending.startIndex..<newline]
                pending = Data(pending[(newline + 1)...])
                handle(Data(line))
            }
        }
        if !pending.isEmpty { handle(pending) }
        calls.withLock { $0.values.filter { $0.tool == "submit" }.forEach { $0.call.cancel() } }
        running.wait()
    }

    /// Writes one message (a reply or a notification).
    func send(_ message: JSONValue) {
        let data = message.line()
        writeLock.withLock { _ in _ = RawFile.write(data, to: output) }
    }

    private func handle(_ line: Data) {
        guard line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { return }
        guard let message = try? JSONDecoder().decode(JSONValue.self, from: line) else {
            return reply(to: .null, error: -32700, "parse error: the message is not JSON (one JSON-RPC 2.0 message a line)")
        }
        guard let fields = message.object else {
            return reply(to: .null, error: -32600, "invalid request: a message must be one JSON object (batches are not supported)")
        }
        let id = fields["id"]
        guard let method = fields["method"]?.string else {
            // A reply from the client: this server sends no requests, so there is nothing to match it to.
            if id != nil, fields["result"] != nil || fields["error"] != nil { return }
            return reply(to: id ?? .null, error: -32600, "invalid request: no \"method\"")
        }
        let params = fields["params"]
        guard let id else { return notification(method, params: params) }
        switch method {
        case "initialize":
            let asked = params?["protocolVersion"]?.string
            let version = asked.flatMap { Self.protocolVersions.contains($0) ? $0 : nil } ?? Self.protocolVersions.last!
            reply(to: id, result: .object([
                "protocolVersion": .string(version),
                "capabilities": .object(["tools": .object(["listChanged": .bool(false)])]),
                "serverInfo": .object(["name": .string("conductor"), "version": .string(Conductor.version)]),
                "instructions": .string(MCPTools.instructions),
            ]))
        case "ping":
            reply(to: id, result: .object([:]))
        case "tools/list":
            reply(to: id, result: .object(["tools": .array(MCPTools.definitions)]))
        case "tools/call":
            call(id: id, params: params)
        default:
            reply(to: id, error: -32601, "method not found: \(method) (this server has tools only: initialize, ping, tools/list, tools/call)")
        }
    }

    private func notification(_ method: String, params: JSONValue?) {
        guard method == "notifications/cancelled", let request = params?["requestId"] else { return }
        calls.withLock { $0[Self.key(request)] }?.call.cancel()
    }

    private func call(id: JSONValue, params: JSONValue?) {
        guard let name = params?["name"]?.string else {
            return reply(to: id, error: -32602, "invalid params: tools/call needs {\"name\": TOOL, \"arguments\": {…}}")
        }
        guard MCPTools.names.contains(name) else {
            return reply(to: id, error: -32602, "unknown tool '\(name)': the tools are \(MCPTools.names.joined(separator: ", "))")
        }
        let arguments = params?["arguments"] ?? .object([:])
        let progressToken = params?["_meta"]?["progressToken"]
        let call = MCPToolCall(progress: progressToken.map(progress(token:)))
        let key = Self.key(id)
        calls.withLock { $0[key] = (name, call) }
        DispatchQueue.global().async(group: running) { [self] in
            let result = tools.call(name, arguments: arguments, call: call)
            calls.withLock { _ = $0.removeValue(forKey: key) }
            // A cancelled request gets no reply (the client has stopped waiting for it).
            if !call.isCancelled { reply(to: id, result: result) }
        }
    }

    /// Sends `notifications/progress` for the request that carried `token`.
    private func progress(token: JSONValue) -> MCPToolCall.Progress {
        { [weak self] (progress: Double, total: Double, message: String) in
            let params: [String: JSONValue] = ["progressToken": token, "progress": .number(progress), "total": .number(total), "message": .string(message)]
            self?.send(.object(["jsonrpc": .string("2.0"), "method": .string("notifications/progress"), "params": .object(params)]))
        }
    }

    private func reply(to id: JSONValue, result: JSONValue) {
        send(.object(["jsonrpc": .string("2.0"), "id": id, "result": result]))
    }

    private func reply(to id: JSONValue, error code: Int, _ message: String) {
        // Clients probe for what a server lacks (resources/list, prompts/list): no log line for those.
        if code != -32601 { MCPLog.error("conductor mcp: \(message)") }
        send(.object(["jsonrpc": .string("2.0"), "id": id, "error": .object(["code": .number(Double(code)), "message": .string(message)])]))
    }

    /// A request id as a dictionary key: "1" and 1 are different ids.
    private static func key(_ id: JSONValue) -> String {
        switch id {
        case .string(let text): "s" + text
        default: "n" + String(decoding: id.line(), as: UTF8.self)
        }
    }
}

/// Lines for whoever reads the server's standard error (Claude Code keeps them in its MCP logs).
enum MCPLog {
    static func error(_ line: String) {
        _ = RawFile.write(Data((line + "\n").utf8), to: STDERR_FILENO)
    }
}
