import FoundationEssentials

/// A JSON value kept as JSON inside a queue file (a task's spec, its result), so that `jq` reads
/// it as part of the file rather than as a string to parse again. Integers stay integers.
indirect enum EmbeddedJSON: Codable, Equatable, Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([EmbeddedJSON])
    case object([String: EmbeddedJSON])

    /// Parses `text`, any JSON value.
    ///
    /// - Throws: the decoder's error when `text` is not JSON.
    init(text: String) throws {
        self = try QueueJSON.decoder.decode(EmbeddedJSON.self, from: Data(text.utf8))
    }

    /// Parses the `field` (spec, result) of `task` of `batch`.
    ///
    /// - Throws: `TaskQueueError.invalidJSON` naming them when `text` is not JSON.
    init(_ field: String, of task: String, batch: String, text: String) throws {
        do { try self.init(text: text) } catch {
            throw TaskQueueError.invalidJSON(batch: batch, task: task, field: field, why: QueueJSON.describe(error))
        }
    }

    /// The value as compact JSON with sorted keys.
    var text: String {
        (try? QueueJSON.encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode([String: EmbeddedJSON].self) { self = .object(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode(Int64.self) { self = .integer(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else { self = .array(try container.decode([EmbeddedJSON].self)) }
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
