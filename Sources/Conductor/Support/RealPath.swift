#if canImport(Glibc)
import Glibc
#endif
import FoundationShims

/// Paths compared as the kernel sees them, so a directory reached through a symlink is still
/// recognised as itself (and a path that leaves through one is caught).
enum RealPath {
    /// `path` with every symlink resolved. Components that do not exist yet are kept as written,
    /// below the real path of the deepest one that does.
    static func of(_ path: String) -> String {
        var existing = path
        var missing: [String] = []
        while !existing.isEmpty, existing != "/" {
            if let resolved = realpath(existing, nil) {
                defer { free(resolved) }
                return missing.reversed().reduce(String(cString: resolved)) { Path.join($0, $1) }
            }
            missing.append(Path.name(existing))
            existing = Path.parent(existing)
        }
        return path
    }

    /// True when `path` is `directory` or lies inside it, after both are resolved.
    static func isInside(_ path: String, _ directory: String) -> Bool {
        let inner = of(path), outer = of(directory)
        return inner == outer || inner.hasPrefix(outer == "/" ? "/" : outer + "/")
    }
}
