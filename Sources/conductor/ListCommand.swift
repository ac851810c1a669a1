import ArgumentParser
import Conductor
import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List every batch and session in the directory, newest first, with its state, tasks and cost.",
        discussion: """
        States: running, done, interrupted (stopped before every task had a result: conductor batch \
        --resume -n NAME), not started; a session is up (tmux session or workers alive) or down.

        Examples:
          conductor list
          conductor list -d /tmp/work --json |
            jq -r '.[] | select(.state == "interrupted") | .name'
        """
    )

    @OptionGroup var storeOptions: StoreOptions

    @Flag(help: "Print the list as JSON.")
    var json = false

    func run() throws {
        let listings = BatchListing.list(storeOptions.store, tmux: try? Tmux())
        if json { return try printJSON(listings) }
        guard !listings.isEmpty else {
            print("no batches or sessions in \(storeOptions.store.path)")
            return
        }
        let rows = listings.map { item -> [String] in
            [
                item.name,
                item.kind.rawValue,
                item.repos.map(Path.name).joined(separator: ","),
                Self.made(item.createdAt),
                item.state.rawValue,
                item.kind == .session ? "\(item.finished)" : "\(item.finished)/\(item.tasks)",
                String(item.failed),
                String(item.cancelled),
                Self.usage(item),
            ]
        }
        print(ResultTable.table([["NAME", "KIND", "REPOSITORY", "MADE (UTC)", "STATE", "TASKS", "FAILED", "CANCELLED", "COST / TOKENS IN/OUT"]] + rows))
    }

    /// `$0.0123 1200/300 tok`, or `-` when no agent reported either.
    private static func usage(_ item: BatchListing) -> String {
        let parts = [item.costUsd > 0 ? "$" + Format.fixed(item.costUsd, 4) : nil,
                     item.inputTokens + item.outputTokens > 0 ? "\(item.inputTokens)/\(item.outputTokens) tok" : nil].compactMap { $0 }
        return parts.isEmpty ? "-" : parts.joined(separator: " ")
    }

    private static func made(_ date: Date) -> String {
        String(date.formatted(Date.ISO8601FormatStyle()).prefix(19)).replacing("T", with: " ")
    }
}
