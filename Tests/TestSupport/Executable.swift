import Foundation

/// Writes `text` to `path` as an executable script (mode 755) that can be started at once.
///
/// A file this process writes can still be open for writing when it is started: a child that
/// another thread forks while the descriptor is open holds a copy until it execs (O_CLOEXEC closes
/// it only then), and starting a program that anything holds open for writing fails with ETXTBSY
/// ("Text file busy"). Written by a child process (`cat`, under a shell that forks nothing else
/// meanwhile), its only writer has exited by the time this returns.
public func writeExecutable(_ text: String, to path: String) throws {
    let command = ["sh", "-c", #"cat > "$1" && chmod 755 "$1""#, "sh", path]
    let written = try run(command, input: text)
    guard written.status == 0 else { throw RunFailure(command: command, result: written) }
}
