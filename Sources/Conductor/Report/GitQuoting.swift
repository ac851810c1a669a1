/// File names written the way git writes them (`core.quotePath`): a name with a control
/// character, a double quote or a backslash is put in double quotes with C escapes (`"a\tb"`),
/// so every name stays one line and one token. Printable non-ASCII characters are kept as they
/// are (git's `core.quotePath=false`); a name starting with `-` is quoted too, so it does not read
/// as an option.
package enum GitQuoting {
    /// `path` quoted when it needs to be, else unchanged.
    package static func quote(_ path: String) -> String {
        var body = ""
        var needsQuotes = path.hasPrefix("-")
        for scalar in path.unicodeScalars {
            if let escape = escapes[scalar] {
                body += escape
                needsQuotes = true
            } else if scalar.properties.generalCategory == .control {
                for byte in scalar.utf8 {
                    let octal = String(byte, radix: 8)
                    body += "\\" + String(repeating: "0", count: 3 - octal.count) + octal
                }
                needsQuotes = true
            } else {
                body.unicodeScalars.append(scalar)
            }
        }
        return needsQuotes ? "\"\(body)\"" : body
    }

    private static let escapes: [Unicode.Scalar: String] = [
        "\u{07}": "\\a", "\u{08}": "\\b", "\t": "\\t", "\n": "\\n", "\u{0B}": "\\v", "\u{0C}": "\\f", "\r": "\\r",
        "\"": "\\\"", "\\": "\\\\",
    ]
}
