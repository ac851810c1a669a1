import FoundationEssentials

/// Any JSON value, decoded without losing the difference between `true`, `1` and `"1"`, so the
/// tasks file can be checked field by field with exact messages, and agents' event streams,
/// whose shape varies by event, can be read.
indirect enum JSONValue: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    /// How the value reads in an error message: its type and a short rendering.
    var described: String {
        switch self {
        case .null: "null"
        case .bool(let value): "boolean \(value)"
        case .number(let value): "number \(value.formatted())"
        case .string(let value): "string \"\(value.count > 40 ? value.prefix(40) + "…" : Substring(value))\""
        case .array: "an array"
        case .object: "an object"
        }
    }
}

extension JSONValue {
    subscript(key: String) -> JSONValue? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    var string: String? { if case .string(let value) = self { value } else { nil } }
    var double: Double? { if case .number(let value) = self { value } else { nil } }
    var int: Int? { double.map { Int($0) } }
    var object: [String: JSONValue]? { if case .object(let value) = self { value } else { nil } }

    /// Each line of `data` that is a JSON object (other lines are skipped).
    static func lines(_ data: Data) -> [JSONValue] {
        data.split(separator: 0x0A).compactMap { line in
            guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(line)), value.object != nil else { return nil }
            return value
        }
    }
}

extension Double {
    func formatted() -> String {
        self == rounded() && abs(self) < 1e15 ? String(Int(self)) : String(self)
    }
}
