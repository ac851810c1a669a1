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
        appendEscaped(ArraySlice(utf8), to: &escaped)
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
    /// `<span>` of class `meta` (file header), `hunk`, `add`, `del`, `ctx` or `note`. Works on the
    /// text's UTF-8 bytes: a patch can be megabytes long.
    static func patch(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        var files: [[ArraySlice<UInt8>]] = []
        for line in lines {
            if line.starts(with: "diff --git ".utf8) || files.isEmpty { files.append([]) }
            files[files.count - 1].append(line)
        }
        var html: [UInt8] = []
        html.reserveCapacity(bytes.count * 2)
        for (index, file) in files.enumerated() {
            if index > 0 { html.append(UInt8(ascii: "\n")) }
            append(file, to: &html)
        }
        return String(decoding: html, as: UTF8.self)
    }

    /// One file of a patch.
    private static func append(_ lines: [ArraySlice<UInt8>], to html: inout [UInt8]) {
        var body: [UInt8] = [], inHunk = false, added = 0, removed = 0
        for line in lines {
            let kind: String
            if line.starts(with: "@@".utf8) {
                inHunk = true
                kind = "hunk"
            } else if !inHunk {
                kind = "meta"
            } else if line.first == UInt8(ascii: "+") {
                added += 1
                kind = "add"
            } else if line.first == UInt8(ascii: "-") {
                removed += 1
                kind = "del"
            } else {
                kind = line.first == UInt8(ascii: "\\") ? "note" : "ctx"
            }
            body.append(contentsOf: #"<span class=""#.utf8)
            body.append(contentsOf: kind.utf8)
            body.append(contentsOf: #"">"#.utf8)
            appendEscaped(line, to: &body)
            body.append(contentsOf: "</span>".utf8)
        }
        html.append(contentsOf: #"<details class="file" open><summary>"#.utf8)
        appendEscaped(title(of: lines), to: &html)
        html.append(contentsOf: #" <span class="counts"><span class="plus">+\#(added)</span> <span class="minus">−\#(removed)</span></span></summary><pre class="diff">"#.utf8)
        html.append(contentsOf: body)
        html.append(contentsOf: "</pre></details>".utf8)
    }

    private static func appendEscaped(_ bytes: ArraySlice<UInt8>, to output: inout [UInt8]) {
        for byte in bytes {
            if let replacement = replacement(for: byte) { output.append(contentsOf: replacement.utf8) } else { output.append(byte) }
        }
    }

    /// The file a patch part is about, as git wrote it in its header (quoted when git quoted it).
    private static func title(of lines: [ArraySlice<UInt8>]) -> ArraySlice<UInt8> {
        for (prefix, side) in [("+++ ", "b/"), ("--- ", "a/")] {
            if let line = lines.first(where: { $0.starts(with: prefix.utf8) }), !line.elementsEqual((prefix + "/dev/null").utf8) {
                let path = line.dropFirst(prefix.utf8.count)
                return path.starts(with: side.utf8) ? path.dropFirst(side.utf8.count) : path
            }
        }
        guard let header = lines.first, header.starts(with: "diff --git ".utf8) else { return ArraySlice("patch".utf8) }
        let names = header.dropFirst("diff --git ".utf8.count)
        let separator = Array(" b/".utf8)
        var start: Int?
        var index = names.startIndex
        while index + separator.count <= names.endIndex {
            if names[index..<(index + separator.count)].elementsEqual(separator) { start = index + separator.count }
            index += 1
        }
        return start.map { names[$0...] } ?? names
    }
}
