import ArgumentParser
import Conductor
import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

struct PushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Push the batch's worker branches (or its integration branch) to the repository's remote, ready for pull requests.",
        discussion: """
        By default the worker branches conductor/NAME/w<n> with commits the base lacks are pushed; \
        --tasks pushes only the branches of the workers that ran those tasks; --merged pushes \
        conductor/NAME/merged (build it first with conductor merge). Each repository of the batch \
        pushes to its own remote: --remote R, else the remote its base branch tracks, else origin.

        A push never forces. When someone else moved a branch on the remote, that branch is \
        rejected (fetch and look at what is there), the others still go, and the exit code is 1. \
        Credentials come as git finds them: the ssh agent for ssh URLs, git's credential helpers \
        for https (conductor never prompts: set up a helper, e.g. gh auth setup-git).

        For each pushed branch conductor prints the command that opens its pull request.

        Examples:
          conductor push -n review              # branches with commits
          conductor push -n review --tasks auth,ui
          conductor merge review && conductor push -n review --merged
          conductor push -n review --remote fork --dry-run
          conductor push -n review --json | jq -r '.[].gh'
        """
    )

    @OptionGroup var selection: BatchSelection

    @Option(help: ArgumentHelp("The remote to push to (default: the base branch's upstream remote, else origin).", valueName: "remote"))
    var remote: String?

    @Flag(help: "Push the integration branch conductor/NAME/merged instead of the worker branches.")
    var merged = false

    @Option(help: ArgumentHelp("Push only the branches of the workers that ran these tasks (comma-separated ids).", valueName: "ids"))
    var tasks: String?

    @Flag(help: "Print one entry per branch as JSON: repo, branch, remote, url, sha, status (pushed, up-to-date, rejected, failed, would-push), reason, gh.")
    var json = false

    @Flag(name: .customLong("dry-run"), help: "Say which branches would be pushed where; contact no remote.")
    var dryRun = false

    func validate() throws {
        if merged && tasks != nil { throw ValidationError("give --merged or --tasks, not both") }
        if let tasks, tasks.split(separator: ",").isEmpty { throw ValidationError("--tasks needs task ids, e.g. --tasks auth,ui") }
    }

    func run() throws {
        let batch = try selection.record(for: .change)
        var options = BatchPush.Options()
        options.remote = remote
        options.merged = merged
        options.tasks = tasks.map { $0.split(separator: ",").map { String($0).trimmed } }
        options.dryRun = dryRun
        var showedProgress = false
        if stderrIsTerminal {
            options.progress = { branch, progress in
                showedProgress = true
                RawFile.write(Data("\r\u{1B}[K\(branch): \(progress.current)/\(progress.total) objects, \(progress.bytes / 1024) KiB".utf8),
                              to: STDERR_FILENO)
            }
        }
        let outcomes: [PushOutcome]
        do {
            outcomes = try BatchPush.run(for: batch, options: options)
        } catch let error as PushError {
            throw InputError(error.description)
        }
        if showedProgress { RawFile.write(Data("\r\u{1B}[K".utf8), to: STDERR_FILENO) }
        let found = Set(outcomes.flatMap { $0.tasks ?? [] })
        for task in options.tasks ?? [] where !found.contains(task) {
            printError("conductor: task \(task): no worker branch holds a commit of it (it committed nothing), so none of it is pushed")
        }
        if json {
            try printJSON(outcomes)
        } else if outcomes.isEmpty {
            print("nothing to push: no worker branch of batch \(batch.name) has commits its base lacks")
        } else {
            print(outcomes.map { $0.summary(showingRepo: batch.repos.count > 1) }.joined(separator: "\n"))
        }
        if outcomes.contains(where: \.isFailure) { throw Failure.tasksFailed }
    }
}
