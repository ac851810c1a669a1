import FoundationEssentials
import FoundationShims

/// What a worker's agent is doing now, read from its event stream as the events come
/// (`status.json`'s `activity` while a prompt task runs).
public struct TaskActivity: Codable, Sendable, Equatable {
    /// The tool in use and what on (`Edit src/auth.py`, `Bash npm test`), or what the agent says.
    public var doing: String
    /// The agent's turns so far (its assistant messages or steps).
    public var turn: Int
    /// Cost so far, for agents that report it while they run.
    public var costUsd: Double?
    public var inputTokens: Int?
    public var outputTokens: Int?
    /// When the last event came.
    public var updatedAt: Date

    public init(doing: String, turn: Int, costUsd: Double? = nil, inputTokens: Int? = nil, outputTokens: Int? = nil, updatedAt: Date) {
        self.doing = doing
        self.turn = turn
        self.costUsd = costUsd
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.updatedAt = updatedAt
    }

    /// `Edit src/auth.py (turn 4, $0.0300 so far)`, or with tokens where no cost is known.
    public var described: String {
        var facts = ["turn \(turn)"]
        if let costUsd, costUsd > 0 { facts.append("$" + Format.fixed(costUsd, 4) + " so far") }
        else if let inputTokens, let outputTokens { facts.append("\(inputTokens + outputTokens) tokens so far") }
        return "\(doing) (\(facts.joined(separator: ", ")))"
    }
}
