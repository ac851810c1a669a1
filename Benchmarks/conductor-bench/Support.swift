import Foundation
import TestSupport

/// What the figures were measured on.
enum Machine {
    static func describe() -> String {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        let memory = ProcessInfo.processInfo.physicalMemory / (1 << 30)
        let git = (try? shell(["git", "--version"]).trimmingCharacters(in: .whitespacesAndNewlines)) ?? "git ?"
        return "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores (\(cpu)), \(memory) GiB, \(git)"
    }
}

struct CommandFailed: Error, CustomStringConvertible {
    let description: String
}

/// Runs a command, waits, and returns its stdout (and stderr after it, when asked); throws when it
/// exits non-zero.
@discardableResult
func shell(_ arguments: [String], in directory: String? = nil, captureStderr: Bool = false) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: output.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: output) }
    let handle = try FileHandle(forWritingTo: output)
    process.standardOutput = handle
    process.standardError = captureStderr ? handle : FileHandle.nullDevice
    // Not `waitUntilExit`: it spins the run loop in steps of 50 ms, so every command timed with it
    // took a multiple of about 50 ms, which flattened the ratios of short commands toward 1.
    let exited = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in exited.signal() }
    try process.run()
    let status = waitForExit(of: process, signalled: exited, timeout: 3_600)
    guard status == 0 else {
        throw CommandFailed(description: "\(arguments.joined(separator: " ")) exited \(status.map(String.init) ?? "(still running after an hour)")")
    }
    return try String(contentsOf: output, encoding: .utf8)
}

/// Writes back every dirty page, before a timed command that writes many files: a side that
/// leaves hundreds of megabytes unwritten (8 worktrees of 80 MB) would otherwise slow the next
/// one, which the kernel throttles while it writes them back, and the faster writer the more.
func flushWrites() {
    sync()
}

/// Seconds taken by `body`.
func time(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted[sorted.count / 2]
}

/// A fresh temporary directory.
func makeScratchDirectory(_ label: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("conductor-bench-\(label)-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Builds a repository of `files` source-like text files totalling about `megabytes` MB, in one commit.
func makeSourceRepository(at path: String, files: Int, megabytes: Int) throws {
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    var random = SplitMix(state: 42)
    let words = ["let", "var", "func", "return", "if", "else", "for", "in", "struct", "value", "count", "index",
                 "result", "self", "guard", "throw", "try", "case", "switch", "default", "name", "path", "file"]
    let bytesPerFile = megabytes * 1_000_000 / files
    for index in 0..<files {
        var text = ""
        text.reserveCapacity(bytesPerFile + 100)
        while text.utf8.count < bytesPerFile {
            let count = Int.random(in: 3...10, using: &random)
            let line = (0..<count).map { _ in words.randomElement(using: &random)! + String(Int.random(in: 0...9999, using: &random)) }
            text += line.joined(separator: " ") + "\n"
        }
        let file = "\(path)/module\(index % 20)/sub\(index % 7)/file\(index).swift"
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: file, atomically: false, encoding: .utf8)
    }
    try shell(["git", "init", "-q", "-b", "main"], in: path)
    // No automatic gc in the background: it would make the `git gc` below fail ("already running").
    try shell(["git", "config", "gc.auto", "0"], in: path)
    try shell(["git", "add", "-A"], in: path)
    try shell(["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-q", "-m", "generated"], in: path)
    try shell(["git", "gc", "-q"], in: path)
    // gc removed the loose objects it packed, one file each: as many inodes freed as files made.
    lastRemoval = Date()
}

func report(_ name: String, conductor: Double, other: Double, otherName: String, target: Double) {
    let ratio = conductor / other
    print(String(format: "%@: conductor %.3f s, %@ %.3f s, ratio %.2fx (target <= %.2fx: %@)",
                 name, conductor, otherName, other, ratio, target, ratio <= target ? "met" : "NOT met"))
}

/// Seconds to copy the checked-out `files` of `repository` into `copies` new directories under
/// `directory` with `cp -a`, as many at once as there are cores and then all at once; the faster.
/// The copies stay until the caller removes its scratch directory (see `settleDisk`).
///
/// It tells what writing that many worktrees' files costs with no git, no index and no branch: a
/// reference, not a strict floor (conductor's own copies, by `sendfile` without `cp`'s care for
/// ownership and attributes, have beaten it on big files).
func cpCopySeconds(of files: [String], from repository: String, into directory: String, copies: Int) throws -> Double {
    let names = files.joined(separator: " ") // the synthetic repository's names need no quoting
    return try [ProcessInfo.processInfo.activeProcessorCount, copies].enumerated().map { attempt, parallel in
        flushWrites()
        return try time {
            try shell(["sh", "-c", "seq 0 \(copies - 1) | xargs -P\(parallel) -I{} sh -c 'mkdir -p \(directory)/\(attempt)/w{} && cp -a \(names) \(directory)/\(attempt)/w{}/'"],
                      in: repository)
        }
    }.min()!
}

/// When this process last removed many files (`removeScratch`, `makeSourceRepository`).
nonisolated(unsafe) private var lastRemoval: Date?

/// Removes a scratch directory of many files, and notes when, for `settleDisk`.
func removeScratch(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
    lastRemoval = Date()
}

/// Waits until 370 s have passed since the last `removeScratch` (or the `git gc` of
/// `makeSourceRepository`, which removes a loose object file for each file). On ext4 without a journal
/// (this machine's `/tmp`), every new inode is first checked against the inodes freed lately
/// (`recently_deleted` in `fs/ext4/ialloc.c`), and skipped when freed less than 60 s ago, or less
/// than 360 s ago while its inode table block is dirty, which the new files themselves make it:
/// 10,000 files took 2.14 s to create right after 100,000 were removed, 1.54 s a minute later,
/// 0.45 s after 2.5 minutes and 0.25 s after 4. Without the wait a measurement that creates files
/// would pay for the previous one's clean-up, and whichever side ran first in a round would pay
/// most: with a wait of 4 minutes, the first round of the 20,000-file batch was conductor's slowest
/// in every run. So no benchmark removes files between its rounds.
func settleDisk() {
    guard let lastRemoval else { return }
    let wait = 370 - Date().timeIntervalSince(lastRemoval)
    guard wait > 0 else { return }
    print(String(format: "  (waiting %.0f s for the disk to settle after the last clean-up: see settleDisk)", wait))
    Thread.sleep(forTimeInterval: wait)
}
