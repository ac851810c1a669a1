import FoundationEssentials
import Queue

/// JSON-RPC messages are built as `JSONValue`s and written back out.
extension JSONValue: Encodable {
    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if value == value.rounded(), abs(value) < 1e15 { try container.encode(Int(value)) } else { try container.encode(value) }
        case .string(let value): try container.encode(value)
        case .array(let values): try container.encode(values)
        case .object(let fields): try container.encode(fields)
        }
    }

    /// `value` as the JSON `conductor … --json` would print for it (ISO 8601 dates).
    init<Value: Encodable>(encoding value: Value) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        self = try JSONDecoder().decode(JSONValue.self, from: encoder.encode(value))
    }

    /// One line of JSON, no newline inside it (JSON-RPC over stdio is one message a line).
    func line() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return ((try? encoder.encode(self)) ?? Data("null".utf8)) + Data("\n".utf8)
    }

    /// Pretty, sorted JSON text, for a tool result an agent reads.
    func text() -> String {
        (try? PrettyJSON.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    var array: [JSONValue]? { if case .array(let values) = self { values } else { nil } }
    var bool: Bool? { if case .bool(let value) = self { value } else { nil } }
}
