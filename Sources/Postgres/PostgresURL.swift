import FoundationEssentials

/// What may be shown of a connection URL: never its password.
public enum PostgresURL {
    /// True for a URL that names a PostgreSQL queue (`postgres://…` or `postgresql://…`).
    public static func isPostgres(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// `url` with the password of its user part, and any `password=` parameter, replaced by `***`.
    public static func redacted(_ url: String) -> String {
        var text = url
        if let scheme = text.firstRange(of: "://") {
            let rest = text[scheme.upperBound...]
            if let at = rest.firstIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") {
                text.replaceSubrange(rest.index(after: colon)..<at, with: "***")
            }
        }
        return hidingPasswordParameter(in: text)
    }

    /// `message` with every occurrence of `url`'s password replaced by `***` (libpq may quote it).
    public static func scrub(_ message: String, of url: String) -> String {
        guard let password = password(in: url), !password.isEmpty else { return message }
        return message.replacing(password, with: "***")
    }

    private static func password(in url: String) -> String? {
        if let scheme = url.firstRange(of: "://") {
            let rest = url[scheme.upperBound...]
            if let at = rest.firstIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") {
                return String(rest[rest.index(after: colon)..<at])
            }
        }
        guard let range = url.firstRange(of: "password=") else { return nil }
        return String(url[range.upperBound...].prefix { $0 != "&" && $0 != " " })
    }

    private static func hidingPasswordParameter(in text: String) -> String {
        guard let range = text.firstRange(of: "password=") else { return text }
        let end = text[range.upperBound...].firstIndex { $0 == "&" || $0 == " " } ?? text.endIndex
        var hidden = text
        hidden.replaceSubrange(range.upperBound..<end, with: "***")
        return hidden
    }
}
