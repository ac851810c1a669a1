import FoundationEssentials

/// Patches and file lists for a terminal: git's colors, and a `--stat` listing.
package enum PatchText {
    /// `patch` with git's default colors: file headers bold, hunk headers cyan, removed lines
    /// red, added lines green (`color.diff.meta/frag/old/new`).
    package static func colored(_ patch: String) -> String {
        var inHeader = false
        return patch.split(separator: "\n", omittingEmptySubsequences: false).map { (line: Substring) -> String in
            if line.hasPrefix("diff --git ") { inHeader = true }
            if line.hasPrefix("@@") {
                inHeader = false
                guard let end = line.dropFirst(2).firstRange(of: "@@")?.upperBound else { return paint(line, cyan) }
                return paint(line[..<end], cyan) + line[end...]
            }
            if inHeader { return paint(line, bold) }
            if line.hasPrefix("+") { return paint(line, green) }
            if line.hasPrefix("-") { return paint(line, red) }
            return String(line)
        }.joined(separator: "\n")
    }

    /// One line per file (status letter, name quoted as git quotes it, `+i -d`, or the mode
    /// change), then `N files changed, I insertions(+), D deletions(-)` as `git diff --stat` ends.
    package static func stat(_ files: [MergeReport.ChangedFile], insertions: Int, deletions: Int) -> String {
        let names = files.map { file in (file.oldPath.map { GitQuoting.quote($0) + " => " } ?? "") + GitQuoting.quote(file.path) }
        let width = names.map(\.count).max() ?? 0
        var lines = zip(files, names).map { file, name in
            "\(file.status.rawValue) " + name + String(repeating: " ", count: width - name.count) + "  "
                + file.facts(minus: "-", arrow: "=>", modeWord: "mode change").joined(separator: ", ")
        }
        lines.append("\(files.count) file\(files.count == 1 ? "" : "s") changed, "
                     + "\(insertions) insertion\(insertions == 1 ? "" : "s")(+), \(deletions) deletion\(deletions == 1 ? "" : "s")(-)")
        return lines.joined(separator: "\n") + "\n"
    }

    private static let bold = "\u{1B}[1m", cyan = "\u{1B}[36m", red = "\u{1B}[31m", green = "\u{1B}[32m", reset = "\u{1B}[m"

    private static func paint(_ text: Substring, _ color: String) -> String {
        text.isEmpty ? "" : color + text + reset
    }
}
