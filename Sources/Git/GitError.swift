internal import CLibgit2

/// A failed libgit2 call, or a git condition conductor refuses to work around.
///
/// `code` and `errorClass` are libgit2's (`git_error_code` and `git_error_t`); `operation` names
/// the call or step that failed, so a message reads like "git_worktree_add: …".
public struct GitError: Error, CustomStringConvertible, Sendable, Equatable {
    /// libgit2's return code (negative), or `GitError.conductorCode` for checks made in Swift.
    public let code: Int32
    /// libgit2's error class (`GIT_ERROR_*`), 0 when libgit2 gave none.
    public let errorClass: Int32
    /// What libgit2 (or conductor) said.
    public let message: String
    /// The libgit2 function or conductor step that failed.
    public let operation: String

    /// The code used for errors detected by conductor itself rather than returned by libgit2.
    public static let conductorCode: Int32 = -1000

    public init(code: Int32, errorClass: Int32 = 0, message: String, operation: String) {
        self.code = code
        self.errorClass = errorClass
        self.message = message
        self.operation = operation
    }

    /// An error that conductor raises itself (not one returned by libgit2).
    static func conductor(_ operation: String, _ message: String) -> GitError {
        GitError(code: conductorCode, message: message, operation: operation)
    }

    /// True when libgit2 reported that the object or reference does not exist.
    public var isNotFound: Bool { code == GIT_ENOTFOUND.rawValue }

    public var description: String {
        code == Self.conductorCode
            ? "\(operation): \(message)"
            : "\(operation): \(message) (libgit2 code \(code), class \(errorClass))"
    }
}

/// Runs a libgit2 call and turns a negative return into a `GitError` carrying libgit2's last error.
///
/// The error state is cleared first because libgit2 1.5 can leave a stale message behind.
@discardableResult
func check(_ operation: String, _ call: () -> Int32) throws -> Int32 {
    git_error_clear()
    let code = call()
    guard code < 0 else { return code }
    if let last = git_error_last(), let message = last.pointee.message {
        throw GitError(code: code, errorClass: last.pointee.klass, message: String(cString: message), operation: operation)
    }
    throw GitError(code: code, message: "failed without a message", operation: operation)
}
