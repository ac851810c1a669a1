import FoundationEssentials

/// The JSON people and agents read (`report.json`, `--json` output, MCP tool results, the MCP
/// configuration): indented, keys sorted, slashes as they are, ISO 8601 dates in whole seconds.
package enum PrettyJSON {
    package static func encode<Value: Encodable>(_ value: Value) throws -> Data {
        try encoder.encode(value)
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()
}
