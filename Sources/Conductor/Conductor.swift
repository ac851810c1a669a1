@_exported import Git
@_exported import Queue

/// conductor fans a batch of coding-agent prompts or shell commands out to parallel workers,
/// each in its own git worktree on its own branch, and reports what every branch changed.
public enum Conductor {
    /// The version `conductor --version` prints.
    public static let version = "0.1.0"
}
