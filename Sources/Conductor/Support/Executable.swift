import FoundationEssentials
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

/// Finds programs the way a shell does.
package enum Executable {
    /// The absolute path of `name`: itself when it contains a slash and is executable, else the
    /// first executable match in `searchPath` (a `PATH` value).
    package static func find(_ name: String, searchPath: String?) -> String? {
        if name.contains("/") {
            return access(name, X_OK) == 0 ? Path.absolute(name) : nil
        }
        for directory in (searchPath ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            var info = stat()
            if stat(candidate, &info) == 0, info.st_mode & S_IFMT == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }
}
