import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

/// The directories of one tree, each opened once and kept, so that a file in it is
/// named by its last component alone: given an absolute path, the kernel walks every component
/// on every call, which led the profile of copying a 20,000-file worktree. Directories are
/// opened without following links, so a link in the tree never leads a copy out of it.
final class DirectoryHandles {
    /// The tree's root directory, absolute.
    let root: String
    private var handles: [String: Int32] = [:]

    init(root: String) {
        self.root = root
    }

    deinit {
        for handle in handles.values { close(handle) }
    }

    /// The open directory at `relative` under the root ("" is the root), made first (with the
    /// directories above it) when `creating` and missing.
    ///
    /// - Throws: `GitError` naming the directory when it cannot be made or opened.
    func handle(of relative: String, creating: Bool) throws -> Int32 {
        if let known = handles[relative] { return known }
        let handle: Int32
        if relative.isEmpty {
            handle = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        } else {
            let parent = try self.handle(of: Path.parent(relative), creating: creating)
            let name = Path.name(relative)
            if creating, mkdirat(parent, name, 0o777) != 0, errno != EEXIST {
                throw GitError.conductor("copy worktree", "cannot create \(root)/\(relative): \(String(cString: strerror(errno)))")
            }
            handle = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        }
        guard handle >= 0 else {
            throw GitError.conductor("copy worktree", "cannot open \(root)/\(relative): \(String(cString: strerror(errno)))")
        }
        handles[relative] = handle
        return handle
    }
}
