import Foundation

/// A directory made immutable (`chattr +i`): nothing can be made, renamed or removed in it, even
/// by root, while files in its subdirectories can still change. Needs root (`CAP_LINUX_IMMUTABLE`)
/// and a file system with the flag; `ImmutableDirectory.isAvailable` says whether this process can.
public final class ImmutableDirectory: @unchecked Sendable {
    public let path: String
    private var isImmutable = true

    /// True when this process can make a directory immutable where tests make theirs (root
    /// with `CAP_LINUX_IMMUTABLE`, `chattr`, a file system with the flag): tried once.
    public static let isAvailable: Bool = {
        guard getuid() == 0 else { return false }
        let probe = TemporaryDirectory("conductor-immutable-probe")
        guard let made = try? run(["chattr", "+i", probe.path], timeout: 30), made.status == 0 else { return false }
        return (try? run(["chattr", "-i", probe.path], timeout: 30))?.status == 0
    }()

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
        if (try? run(["chattr", "-i", path], timeout: 30))?.status != 0 {
            print("could not make \(path) mutable again: remove it with `chattr -i \(path)` first")
        }
    }

    deinit {
        release()
    }
}
