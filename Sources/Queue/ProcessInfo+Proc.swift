import FoundationEssentials
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

extension ProcessInfo {
    /// A process's start time in clock ticks since boot, from `/proc/<pid>/stat`; nil when unknown.
    package static func startTime(of pid: Int32) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // Field 22 overall; fields[0] here is field 3 (the state).
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }

    /// The processes of this user whose environment holds every one of `variables` (read from
    /// `/proc/<pid>/environ`). A task's processes carry its identity there, even those that left
    /// its process group (`setsid`, a double fork).
    package static func processes(withEnvironment variables: [String: String]) -> [Int32] {
        let wanted = Set(variables.map { Data("\($0.key)=\($0.value)".utf8) })
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            // /proc files report no size: read them to their end.
            guard pid != getpid() else { return false }
            let descriptor = open("/proc/\(pid)/environ", O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { return false }
            defer { close(descriptor) }
            let present = Set((RawFile.readAll(descriptor) ?? Data()).split(separator: 0).map { Data($0) })
            return wanted.isSubset(of: present)
        }
    }
}
