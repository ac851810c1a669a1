import ArgumentParser
import Conductor
import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one task: its prompt or command, status, answer, logs and the patch of its commits.",
        discussion: """
        The patch is what the task's own commits changed, from the parent of its first commit to its \
        last (git diff FIRST^ LAST), made with libgit2: file headers, mode changes, renames, binary \
        files and hunks as git prints them. On a terminal it is colored as git colors it and goes \
        through $PAGER (default: less -FRX); in a pipe it is plain. A review task that changed \
        nothing shows its answer and no patch.

        Examples:
          conductor show review -n 20261125-101502
          conductor show auth --stat
          conductor show auth --json | jq -r .patch | git apply
        """
    )

    @Argument(help: "The task's id.")
    var task: String

    @OptionGroup var selection: InspectedBatch

    @OptionGroup var display: PatchDisplay

    @Flag(help: "Print one JSON object: the task's report entry with its prompt or command, branch, logs and patch.")
    var json = false

    func run() throws {
        let batch = try selection.record()
        let inspection = try TaskInspection.load(batch, task: task, includePatch: !display.stat)
        if json { return try printJSON(inspection) }
        var text = inspection.header()
        if display.stat {
            if !inspection.entry.files.isEmpty {
                text += "\n" + PatchText.stat(inspection.entry.files, insertions: inspection.entry.insertions, deletions: inspection.entry.deletions)
            }
        } else if let patch = inspection.patch, !patch.isEmpty {
            text += "\n" + display.painted(patch)
        }
        display.write(text)
    }
}

/// `--stat` and `--no-color`, and how a patch reaches the user: colored as git colors it and
/// through `$PAGER` on a terminal, plain in a pipe.
struct PatchDisplay: ParsableArguments {
    @Flag(help: "List the files with their status, line counts and mode changes instead of the patch.")
    var stat = false

    @Flag(name: .customLong("no-color"), help: "Never color the patch (it is colored only on a terminal; NO_COLOR is honored too).")
    var noColor = false

    private var isTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

    /// `patch`, colored when standard output is a terminal and color is not turned off.
    func painted(_ patch: String) -> String {
        let environment = ProcessInfo.processInfo.environment
        return isTerminal && !noColor && (environment["NO_COLOR"] ?? "").isEmpty ? PatchText.colored(patch) : patch
    }

    /// Writes `text` to standard output, through `$PAGER` (default `less -FRX`, as git's) when it
    /// is a terminal.
    func write(_ text: String) {
        let pager = ProcessInfo.processInfo.environment["PAGER"] ?? "less -FRX"
        if isTerminal, !pager.isEmpty, pager != "cat" {
            // As git does: a bare `less` still passes colors through and quits on one screen.
            setenv("LESS", "FRX", 0)
            if let pipe = popen(pager, "w") {
                // Quitting the pager early closes the pipe: that ends the output, not conductor.
                signal(SIGPIPE, SIG_IGN)
                fputs(text, pipe)
                pclose(pipe)
                return
            }
        }
        print(text, terminator: "")
    }
}
