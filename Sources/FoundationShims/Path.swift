#if canImport(Glibc)
import Glibc
#endif

/// Path arithmetic on strings, as `NSString` offered it: the one path type of the package.
///
/// Not swift-system's `FilePath`: version 1.8.1 is 41 files and 13,451 lines of Swift, and a
/// scratch package that depends on it takes about 9 s more CPU to build clean (10.9 s against
/// 2.1 s, debug, on this project's 2-core build machine), for the few lines `absolute` needs;
/// and `FilePath` knows neither the current directory nor `~`, so that code would stay anyway.
package enum Path {
    /// Everything before the last component (`/a/b` → `/a`, `b` → ``, `/a` → `/`).
    package static func parent(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }

    /// The last component (`/a/b.txt` → `b.txt`).
    package static func name(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        return trimmed.split(separator: "/").last.map(String.init) ?? String(trimmed)
    }

    /// `directory` and `component` joined by one slash.
    package static func join(_ directory: String, _ component: String) -> String {
        directory.hasSuffix("/") ? directory + component : directory + "/" + component
    }

    /// `path` as one absolute spelling: taken from `base` when relative (from the current
    /// directory when `base` is nil; a relative `base` is itself taken from the current
    /// directory), then normalized lexically: empty and `.` components dropped, each `..` removing
    /// the component before it (at the root it stays there), no trailing slash. A leading `~` or
    /// `~/` is the home directory (`home(environment:)`, `$HOME` first), as the
    /// `URL(fileURLWithPath:)` this replaced expanded it too. Symlinks are not followed
    /// (`/a/link/..` is `/a`): `real` resolves them.
    package static func absolute(_ path: String, relativeTo base: String? = nil) -> String {
        let expanded = expandingTilde(path, home: home(environment: getenv("HOME").map { ["HOME": String(cString: $0)] } ?? [:]))
        let full = expanded.hasPrefix("/") ? expanded : join(base.map { absolute($0) } ?? currentDirectory(), expanded)
        var components: [Substring] = []
        for component in full.split(separator: "/") where component != "." {
            if component == ".." { _ = components.popLast() } else { components.append(component) }
        }
        return "/" + components.joined(separator: "/")
    }

    /// `path` with a leading `~` (alone or before `/`), which the shell did not expand (quoted, or
    /// in a variable or a file), meaning `home`.
    package static func expandingTilde(_ path: String, home: String) -> String {
        path == "~" || path.hasPrefix("~/") ? home + path.dropFirst() : path
    }

    /// The current directory (`/` when it cannot be read, as when it has been removed).
    private static func currentDirectory() -> String {
        guard let directory = getcwd(nil, 0) else { return "/" }
        defer { free(directory) }
        return String(cString: directory)
    }

    /// True when `path` exists and is a directory (following symlinks).
    package static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// `path` with every symlink resolved (`realpath`), so that two spellings of one directory
    /// compare equal. Components that do not exist yet are kept as written, below the real path of
    /// the deepest one that does.
    package static func real(_ path: String) -> String {
        var existing = path
        var missing: [String] = []
        while !existing.isEmpty, existing != "/" {
            if let resolved = realpath(existing, nil) {
                defer { free(resolved) }
                return missing.reversed().reduce(String(cString: resolved)) { join($0, $1) }
            }
            missing.append(name(existing))
            existing = parent(existing)
        }
        return path
    }

    /// True when `path` is `directory` or lies inside it, both resolved (a path that leaves
    /// through a symlink is outside).
    package static func isInside(_ path: String, _ directory: String) -> Bool {
        let inner = real(path), outer = real(directory)
        return inner == outer || inner.hasPrefix(outer == "/" ? "/" : outer + "/")
    }

    /// The user's home directory: `$HOME`, else the password database's.
    package static func home(environment: [String: String]) -> String {
        if let home = environment["HOME"], !home.isEmpty { return home }
        if let entry = getpwuid(getuid()), let directory = entry.pointee.pw_dir { return String(cString: directory) }
        return "/"
    }
}
