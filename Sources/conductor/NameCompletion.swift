import ArgumentParser
import Conductor
import FoundationEssentials
import FoundationShims

extension CompletionKind {
    /// The batch and session names in the directory the command line names with `-d/--dir`, else
    /// `$CONDUCTOR_DIR`, else `~/conductor-work`.
    ///
    /// The shell scripts from `conductor --generate-completion-script` call back into
    /// `conductor ---completion … -- --name …` with the command line's words to get them.
    static var batchNames: CompletionKind {
        .custom { words, _, prefix in
            BatchStore.resolve(NameCompletion.directory(in: words)).batchNames().filter { $0.hasPrefix(prefix) }
        }
    }
}

/// Reads `-d DIR` out of the words a shell passes to a completion callback.
enum NameCompletion {
    /// The last `-d DIR`, `--dir DIR` or `--dir=DIR` among `words` (as the shell has them: quotes
    /// and a leading `~` not yet resolved), unquoted and with `~` expanded; nil when there is none.
    static func directory(in words: [String]) -> String? {
        var found: String?
        for (index, word) in words.enumerated() {
            if word.hasPrefix("--dir=") {
                found = String(word.dropFirst("--dir=".count))
            } else if word == "-d" || word == "--dir", index + 1 < words.count {
                found = words[index + 1]
            }
        }
        guard let found, !found.isEmpty else { return nil }
        return expandingHome(unquoted(found))
    }

    private static func unquoted(_ word: String) -> String {
        for quote in ["'", "\""] where word.count >= 2 && word.hasPrefix(quote) && word.hasSuffix(quote) {
            return String(word.dropFirst().dropLast())
        }
        return word
    }

    private static func expandingHome(_ path: String) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        return Path.home(environment: ProcessInfo.processInfo.environment) + path.dropFirst()
    }
}
