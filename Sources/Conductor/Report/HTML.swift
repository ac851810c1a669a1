import FoundationEssentials

/// Small helpers for writing HTML that survives any text: answers, paths, reasons and diffs
/// come from agents and repositories and may hold `<script>`, quotes or `&`.
enum HTML {
    /// `text` safe inside an element or a quoted attribute. Works on UTF-8 bytes: the five
    /// characters it replaces are ASCII, and no other scalar's UTF-8 holds an ASCII byte, so a
    /// `<` followed by a combining mark is escaped too.
    static func escape(_ text: some StringProtocol) -> String {
        let utf8 = text.utf8
        guard utf8.contains(where: { replacement(for: $0) != nil }) else { return String(text) }
        var escaped: [UInt8] = []
        escaped.reserveCapacity(utf8.count + 32)
        for byte in utf8 {
            if let replacement = replacement(for: byte) { escaped.append(contentsOf: replacement.utf8) } else { escaped.append(byte) }
        }
        return String(decoding: escaped, as: UTF8.self)
    }

    private static func replacement(for byte: UInt8) -> String? {
        switch byte {
        case UInt8(ascii: "&"): "&amp;"
        case UInt8(ascii: "<"): "&lt;"
        case UInt8(ascii: ">"): "&gt;"
        case UInt8(ascii: "\""): "&quot;"
        case UInt8(ascii: "'"): "&#39;"
        default: nil
        }
    }

    /// The element id of task `id`'s section: `task-` and the id, every byte other than an ASCII
    /// letter, digit or `-` written `_hh`, so distinct ids stay distinct and need no URL escaping.
    static func anchor(_ id: String) -> String {
        var anchor = "task-"
        for byte in id.utf8 {
            let character = Character(Unicode.Scalar(byte))
            if character.isASCII, character.isLetter || character.isNumber || character == "-" {
                anchor.append(character)
            } else {
                anchor += "_" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16)
            }
        }
        return anchor
    }

    /// A unified diff (`git diff` output) as one collapsible `<details>` per file, each line a
    /// `<span>` of class `meta` (file header), `hunk`, `add`, `del`, `ctx` or `note`.
    static func patch(_ text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        var files: [[Substring]] = []
        for line in lines {
            if line.hasPrefix("diff --git ") || files.isEmpty { files.append([]) }
            files[files.count - 1].append(line)
        }
        return files.map(file).joined(separator: "\n")
    }

    /// One file of a patch.
    private static func file(_ lines: [Substring]) -> String {
        var body = "", inHunk = false, added = 0, removed = 0
        for line in lines {
            let kind: String
            if line.hasPrefix("@@") {
                inHunk = true
                kind = "hunk"
            } else if !inHunk {
                kind = "meta"
            } else if line.hasPrefix("+") {
                added += 1
                kind = "add"
            } else if line.hasPrefix("-") {
                removed += 1
                kind = "del"
            } else {
                kind = line.hasPrefix("\\") ? "note" : "ctx"
            }
            body += #"<span class="\#(kind)">\#(escape(line))</span>"#
        }
        let counts = #"<span class="counts"><span class="plus">+\#(added)</span> <span class="minus">−\#(removed)</span></span>"#
        return #"<details class="file" open><summary>\#(escape(title(of: lines))) \#(counts)</summary><pre class="diff">\#(body)</pre></details>"#
    }

    /// The file a patch part is about, as git wrote it in its header (quoted when git quoted it).
    private static func title(of lines: [Substring]) -> Substring {
        for (prefix, side) in [("+++ ", "b/"), ("--- ", "a/")] {
            if let line = lines.first(where: { $0.hasPrefix(prefix) }), line != prefix + "/dev/null" {
                let path = line.dropFirst(prefix.count)
                return path.hasPrefix(side) ? path.dropFirst(side.count) : path
            }
        }
        guard let header = lines.first, header.hasPrefix("diff --git ") else { return "patch" }
        let names = header.dropFirst("diff --git ".count)
        return names.ranges(of: " b/").last.map { names[$0.upperBound...] } ?? names
    }
}
