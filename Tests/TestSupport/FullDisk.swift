import Foundation

/// A real full disk: a 64 KiB tmpfs mounted at `path` and filled, so every write there fails with
/// ENOSPC. Mounting needs root; `FullDisk.isAvailable` says whether this process can.
public final class FullDisk: @unchecked Sendable {
    public let path: String
    private var isMounted = true

    /// True when this process may mount a tmpfs (it runs as root).
    public static var isAvailable: Bool { getuid() == 0 }

    /// Mounts and fills the tmpfs at `path` (created when missing).
    public init(at path: String) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let mounted = try run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", path], timeout: 30)
        guard mounted.status == 0 else { throw RunFailure(command: ["mount", "-t", "tmpfs", path], result: mounted) }
        _ = try run(["dd", "if=/dev/zero", "of=\(path)/filler", "bs=4k"], timeout: 30)
    }

    /// Unmounts the tmpfs; everything written there is gone.
    public func unmount() {
        guard isMounted else { return }
        isMounted = false
        _ = try? run(["umount", path], timeout: 30)
    }

    deinit {
        unmount()
    }
}
