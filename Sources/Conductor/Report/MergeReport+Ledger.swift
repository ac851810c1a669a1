import FoundationEssentials
import FoundationShims
import Queue

extension MergeReport {
    /// What the agents cost, and the tokens they used, per worker branch and per agent (tokens
    /// where an agent reports no cost), from the tasks' results.
    public struct Ledger: Codable, Sendable, Equatable {
        /// The whole batch.
        public var total: Usage
        /// By worker label (`w0`, `w1`, …; a remote batch's worker names), which is by worker
        /// branch in every repository.
        public var byWorker: [String: Usage]
        /// By agent: a preset's name, or a command template's program.
        public var byAgent: [String: Usage]
    }

    /// Cost and tokens over some tasks.
    public struct Usage: Codable, Sendable, Equatable {
        /// Prompt tasks counted.
        public var tasks = 0
        public var costUsd = 0.0
        public var inputTokens = 0
        public var outputTokens = 0

        mutating func add(_ report: AgentReport) {
            tasks += 1
            costUsd += report.costUsd ?? 0
            inputTokens += report.inputTokens ?? 0
            outputTokens += report.outputTokens ?? 0
        }

        /// `$0.0123, 1,200 in / 300 out tokens`, leaving out what no agent reported.
        var described: String {
            var parts: [String] = []
            if costUsd > 0 { parts.append("$" + Format.fixed(costUsd, 4)) }
            if inputTokens + outputTokens > 0 { parts.append("\(inputTokens) in / \(outputTokens) out tokens") }
            return parts.isEmpty ? "no cost or tokens reported" : parts.joined(separator: ", ")
        }
    }
}

extension MergeReport.Ledger {
    /// Sums the agent reports of `results`; `batchAgent` names the agent of tasks without their
    /// own, `workerLabel` a worker by its number.
    init(results: [TaskResult], batchAgent: String, workerLabel: (Int) -> String) {
        total = MergeReport.Usage()
        byWorker = [:]
        byAgent = [:]
        for result in results where result.task.prompt != nil {
            guard let report = result.result.agent else { continue }
            total.add(report)
            if let worker = result.worker { byWorker[workerLabel(worker), default: MergeReport.Usage()].add(report) }
            byAgent[result.task.agent.map { AgentChoice.named($0).label } ?? batchAgent, default: MergeReport.Usage()].add(report)
        }
    }

    /// The report's lines: the total, then per agent and per worker when there is more than one.
    var markdownLines: [String] {
        var lines = ["- Agents: \(total.described) over \(total.tasks) prompt(s)"]
        if byAgent.count > 1 {
            lines += byAgent.keys.sorted().map { "  - \($0): \(byAgent[$0]!.described) over \(byAgent[$0]!.tasks) prompt(s)" }
        }
        if byWorker.count > 1 {
            lines += byWorker.keys.sorted { $0.count == $1.count ? $0 < $1 : $0.count < $1.count }
                .map { "  - \($0): \(byWorker[$0]!.described)" }
        }
        return lines
    }
}
