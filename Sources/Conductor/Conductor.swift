@_exported import Git
// The queue types the library's API speaks in; the rest of the Queue module is internal to the package.
@_exported import enum Queue.QueueError
@_exported import struct Queue.QueueRoot
@_exported import struct Queue.QueueSnapshot
@_exported import class Queue.DirectoryWatcher
@_exported import enum Queue.WorkerState
@_exported import struct Queue.WorkerStatus
@_exported import enum Queue.ResultStatus
@_exported import struct Queue.AgentReport
@_exported import struct Queue.TaskActivity
@_exported import struct Queue.TaskOutcome
@_exported import struct Queue.TaskEnding
@_exported import protocol Queue.TaskEndingRecord
@_exported import struct Queue.UsageLimitNotice
@_exported import struct Queue.CommitRequest

/// conductor fans a batch of coding-agent prompts or shell commands out to parallel workers,
/// each in its own git worktree on its own branch, and reports what every branch changed.
public enum Conductor {
    /// The version `conductor --version` prints.
    public static let version = "0.1.0"
}
