import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import Postgres

/// `postgres-probe [URL [SQL]]`: prints whether libpq is mapped into this process (`mapped` or
/// `unmapped`, from /proc/self/maps), then, given a URL, connects, runs one statement (`SQL`, else
/// `SELECT 1`) and prints it again. The test that libpq costs nothing until a connection runs it as a child process, so
/// that no other test's connection can have loaded libpq first.
func libpqState() -> String {
    // Read to the end: /proc files report a size of 0, so whole-file readers see nothing.
    var maps = [UInt8]()
    let fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC)
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while fd >= 0, case let count = read(fd, &chunk, chunk.count), count > 0 { maps += chunk[..<count] }
    if fd >= 0 { close(fd) }
    return String(decoding: maps, as: UTF8.self).contains("/libpq.so") ? "mapped" : "unmapped"
}

print(libpqState())
if CommandLine.arguments.count > 1 {
    do {
        try PostgresConnection(url: CommandLine.arguments[1]).execute(CommandLine.arguments.count > 2 ? CommandLine.arguments[2] : "SELECT 1")
    } catch {
        print("error: \(error)")
        exit(1)
    }
    print(libpqState())
}
