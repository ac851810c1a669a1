import ArgumentParser
import Conductor
import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

struct FollowupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "followup",
        abstract: "Continue a finished prompt task in its own worktree and agent session, and commit the result to its branch.",
        discussion: """
        The task's agent resumes its own session (claude -p --resume SESSION, codex exec resume \
        THREAD; cursor's agent --resume) in the task's \
        worktree, with the new prompt; what it changes is committed as a new commit of the same \
        task on its worker's branch, and the task's record in results.jsonl gains it. The batch or \
        session must not be running (its workers own the worktrees).

        Examples:
          conductor followup auth 'Cover the expired-token case too' -n review
          conductor followup auth 'Add a test for it' --json
        """
    )

    @Argument(help: "The task to continue.")
    var task: String

    @Argument(help: "What to ask the agent next.")
    var prompt: String

    @Option(name: [.short, .long], help: ArgumentHelp("The batch or session (default: this repository's only one).", valueName: "name"),
            completion: .batchNames)
    var name: String?

    @OptionGroup var storeOptions: StoreOptions

    @Flag(help: "Print the task's updated record as JSON.")
    var json = false

    func run() throws {
        let record = try storeOptions.store.choose(name, for: .change)
        let result = try Followup.run(record, taskID: task, prompt: prompt)
        if json { return try printJSON(result) }
        print(ResultTable.render([result]) + ResultTable.warningLines([result]))
        if !result.result.status.succeeded { throw Failure.tasksFailed }
    }
}
