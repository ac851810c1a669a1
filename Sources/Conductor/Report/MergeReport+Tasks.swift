import FoundationEssentials
import Queue

extension MergeReport {
    /// One task of the batch as the report shows it: what it was asked, how it ended, what it
    /// answered, and what its own commits changed. Tasks that changed nothing are listed too (a
    /// review's answer is the point of a review).
    public struct TaskEntry: Codable, Sendable, Equatable {
        public var id: String
        /// The worker that ran its last attempt; nil when it never ran.
        public var worker: Int?
        /// The repository (its name in the batch directory) its commits are in, when it made any.
        public var repo: String?
        /// `prompt` or `command`.
        public var kind: String
        public var status: ResultStatus
        /// Why it did not succeed, in one line; nil when it succeeded.
        public var reason: String?
        /// The agent's answer (its `result` text), or a command's output, whole.
        public var answer: String
        public var startedAt: Date?
        public var finishedAt: Date?
        public var durationMs: Int
        public var attempts: Int
        /// The agent that ran it: a preset's name or a template's program; nil for a command.
        public var agent: String?
        public var costUsd: Double?
        public var inputTokens: Int?
        public var outputTokens: Int?
        /// Its commits, oldest first (the agent's own and conductor's).
        public var commits: [String]
        /// What those commits changed together, against the parent of the first.
        public var files: [ChangedFile]
        public var insertions: Int
        public var deletions: Int
        /// The other tasks whose changes conflict with this one's, by id.
        public var conflictsWith: [String]
    }
}
