import Foundation

/// A directory made immutable (`chattr +i`): nothing can be made, renamed or removed in it, even
/// by root, while files in its subdirectories can still change. Needs root (`CAP_LINUX_IMMUTABLE`)
/// and a file system with the flag; `ImmutableDirectory.isAvailable` says whether this process can.
public final class ImmutableDirectory: @unchecked Sendable {
    public let path: String
    private var isImmutable = true

    /// True when this process runs as root.
    public static var isAvailable: Bool { getuid() == 0 }

    /// Makes the directory at `path` immutable.
    public init(_ path: String) throws {
        self.path = path
        let made = try run(["chattr", "+i", path], timeout: 30)
        guard made.status == 0 else { throw RunFailure(command: ["chattr", "+i", path], result: made) }
    }

    /// Makes the directory mutable again.
    public func release() {
        guard isImmutable else { return }
        isImmutable = false
        _ = try? run(["chattr", "-i", path], timeout: 30)
    }

    deinit {
        release()
    }
}
