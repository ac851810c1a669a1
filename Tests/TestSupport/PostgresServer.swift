import Foundation

/// A real PostgreSQL server of the test's own: Debian's `postgresql` binaries, a data directory and
/// a port under a temporary directory, trust authentication on loopback only, stopped (`immediate`)
/// when the value goes away. PostgreSQL refuses to run as root, so as root it runs as `postgres`.
public final class PostgresServer: @unchecked Sendable {
    /// Why a test that needs a server cannot run here, or nil: the binaries are missing.
    public static var unavailable: String? {
        binDirectory == nil ? "PostgreSQL is not installed (Debian's postgresql package; `make deps` installs it)" : nil
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres` (no password: trust on loopback).
    public let url: String
    public let port: Int
    private let root: String
    private let bin: String
    private let asPostgres: [String]

    /// Starts a new server; throws with initdb's or pg_ctl's output when it cannot.
    public init() throws {
        guard let bin = Self.binDirectory else { throw RunFailure(command: ["initdb"], result: RunResult(status: 127, stdout: "", stderr: Self.unavailable ?? "")) }
        self.bin = bin
        root = "/tmp/conductor-pg-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        asPostgres = getuid() == 0 ? ["runuser", "-u", "postgres", "--"] : []
        if getuid() == 0 { try run(["chown", "postgres:postgres", root]) }
        let initdb = try run(asPostgres + ["\(bin)/initdb", "-D", "\(root)/data", "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"], timeout: 120)
        guard initdb.status == 0 else { throw RunFailure(command: ["initdb"], result: initdb) }
        // A free port can be taken by another test's server or daemon before this one binds it:
        // then another port is tried.
        var attempt = 0
        while true {
            attempt += 1
            let candidate = try Self.freePort()
            let options = "-p \(candidate) -k \(root) -c listen_addresses=127.0.0.1 -c fsync=off"
            // pg_ctl through system(): Foundation's Process can miss the exit of a program whose child
            // (the server) outlives it.
            let status = Self.shell(asPostgres + ["\(bin)/pg_ctl", "-D", "\(root)/data", "-o", options, "-l", "\(root)/log", "-w", "-t", "60", "start"])
            if status == 0 {
                port = candidate
                break
            }
            let log = (try? String(contentsOfFile: "\(root)/log", encoding: .utf8)) ?? ""
            guard log.contains("Address already in use"), attempt < 5 else {
                throw RunFailure(command: ["pg_ctl", "start"], result: RunResult(status: status, stdout: "", stderr: log))
            }
        }
        url = "postgres://postgres@127.0.0.1:\(port)/postgres"
    }

    deinit {
        _ = Self.shell(asPostgres + ["\(bin)/pg_ctl", "-D", "\(root)/data", "-m", "immediate", "-w", "-t", "30", "stop"])
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Runs `arguments` (quoted for the shell), its output discarded; its exit status.
    private static func shell(_ arguments: [String]) -> Int32 {
        let quoted = arguments.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        return system("timeout 90 " + quoted + " >/dev/null 2>&1")
    }

    private static var binDirectory: String? {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        return versions.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }.map { "/usr/lib/postgresql/\($0)/bin" }
            .first { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }
    }

    /// A loopback port nobody listens on now (the kernel's pick for port 0).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw RunFailure(command: ["bind"], result: RunResult(status: errno, stdout: "", stderr: "no free port")) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
