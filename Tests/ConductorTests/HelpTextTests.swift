import Foundation
import Testing
import TestSupport

/// What `--help` shows at 80 columns: examples that stay whole, and the tasks-file format where
/// `batch` users look for it.
@Suite(.timeLimit(.minutes(3))) struct HelpTextTests {
    private func help(_ command: [String]) throws -> String {
        let result = try run([Binaries.conductor] + command + ["--help"], environment: ["COLUMNS": "80"])
        #expect(result.status == 0, "\(command) --help: \(result.stderr)")
        return result.stdout
    }

    /// The subcommands `conductor --help` lists (two spaces, then the name).
    private func subcommands() throws -> [String] {
        let lines = try help([]).split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(of: "SUBCOMMANDS:") else { return [] }
        return lines[(start + 1)...].compactMap { line in
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
            return line.split(separator: " ").first.map(String.init)
        }
    }

    @Test func everyExampleLineStaysIndentedAt80Columns() throws {
        let names = try subcommands()
        #expect(names.count >= 12, "\(names)")
        for command in [[]] + names.map({ [$0] }) {
            var inExamples = false
            for line in try help(command).split(separator: "\n", omittingEmptySubsequences: false) {
                if line == "Examples:" { inExamples = true; continue }
                if line.isEmpty { inExamples = false; continue }
                if inExamples {
                    #expect(line.hasPrefix("  "), "conductor \(command.joined()) --help: an example wrapped to column 0: \(line)")
                }
            }
        }
    }

    @Test func batchHelpDocumentsEveryTasksFileField() throws {
        let text = try help(["batch"]).split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let taskFields = ["prompt", "command", "id", "cwd", "timeout", "stopOnError", "repo"]
        let fileFields = ["tasks", "repo", "base", "workers", "agent", "setup"]
        for field in taskFields + fileFields {
            let mentioned = text.contains("\"\(field)\"")
            #expect(mentioned, "batch --help does not mention the field \"\(field)\"")
        }
        let saysWhereCwdIs = text.contains("relative to the worktree")
        #expect(saysWhereCwdIs, "batch --help says where cwd is")
    }
}
