import ArgumentParser
import Conductor
import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Report what each worker branch of a batch changed, which branches conflict, and a merge order.",
        discussion: """
        For every repository of the batch and every worker branch conductor/NAME/w<n> in it: the commits \
        the base lacks (git log base..branch, with the task of each), the files changed since the branch \
        left the base with line counts (git diff --numstat base...branch), uncommitted files left in the \
        worktree, whether the branch merges cleanly into the base as it is now, which pairs of branches \
        conflict and in which files (found by in-memory merges; nothing is checked out), and a suggested \
        merge order. Task counts, time and cost come from the batch's results.jsonl.

        The report is written to DIR/NAME/report.json, DIR/NAME/report.md and DIR/NAME/report.html and \
        printed (Markdown, or the JSON with --json). report.html is one self-contained page, readable \
        offline: a summary, a timeline of the tasks per worker, the conflicts between branches and \
        between tasks, and each task's answer and diff. --html prints its path instead; --open also \
        opens it with $BROWSER, else xdg-open.

        Examples:
          conductor report                # the newest batch
          conductor report 20261125-101502 -d /tmp/work
          conductor report --json | jq '.repos[].mergeOrder'
          conductor report -n 20261125-101502 --html --open
          conductor merge                 # then build conductor/NAME/merged
        """
    )

    @OptionGroup var selection: BatchSelection

    @Flag(help: "Print the report as JSON instead of Markdown.")
    var json = false

    @Flag(help: "Print the path of report.html instead of the Markdown (with --json: {\"html\": PATH}).")
    var html = false

    @Flag(name: .customLong("open"), help: "Also open report.html in a browser: $BROWSER, else xdg-open. Implies --html.")
    var openInBrowser = false

    func run() throws {
        let batch = try selection.record(for: .inspect)
        let report = try BatchReporting.writeReport(for: batch, results: try MergeReport.readResults(batch.resultsFile))
        if html || openInBrowser {
            if json { try printJSON(["html": batch.reportHTMLFile]) } else { print(batch.reportHTMLFile) }
            if openInBrowser { try Browser.open(batch.reportHTMLFile) }
        } else if json {
            try printJSON(report)
        } else {
            print(report.markdown(), terminator: "")
        }
    }
}

/// Opens a file the way the desktop would: `$BROWSER` (colon-separated commands, `%s` for the
/// file, else the file last), else `xdg-open`. The browser is started in the background and
/// outlives conductor.
enum Browser {
    static func open(_ file: String) throws {
        let environment = ProcessInfo.processInfo.environment
        let commands = (environment["BROWSER"] ?? "").split(separator: ":").map { $0.split(separator: " ").map(String.init) }
            .filter { !$0.isEmpty } + [["xdg-open"]]
        for command in commands {
            guard let program = Executable.find(command[0], searchPath: environment["PATH"]) else { continue }
            let arguments = command.dropFirst().contains("%s") ? command.dropFirst().map { $0 == "%s" ? file : $0 } : command.dropFirst() + [file]
            _ = try ChildProcess(arguments: [program] + arguments, directory: FileManager.default.currentDirectoryPath,
                                 environment: environment, stdoutPath: "/dev/null", stderrPath: "/dev/null")
            return
        }
        throw BrowserError(file: file, tried: commands.map { $0[0] })
    }
}

/// No browser to open report.html with (exit 3).
struct BrowserError: Error, CustomStringConvertible {
    let file: String
    let tried: [String]

    var description: String {
        let browser = tried.count > 1 ? "$BROWSER names " + tried.dropLast().map { "'\($0)'" }.joined(separator: ", ") + ", not on PATH, and "
            : "$BROWSER is not set and "
        return "cannot open \(file): \(browser)xdg-open is not on PATH; open the file in a browser, install xdg-utils, or set BROWSER"
    }
}
