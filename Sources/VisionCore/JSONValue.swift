/// A JSON document as a value (ordered objects), for small structured responses and the OpenAPI
/// document; written by `JSONWriter` (so `/` is never escaped as `\/`).
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    /// Keys in the order given.
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case (.bool(let x), .bool(let y)): x == y
        case (.int(let x), .int(let y)): x == y
        case (.number(let x), .number(let y)): x == y
        case (.string(let x), .string(let y)): x == y
        case (.array(let x), .array(let y)): x == y
        case (.object(let x), .object(let y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    /// The value of `key` in an object, else nil.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let fields) = self else { return nil }
        return fields.first { $0.0 == key }?.1
    }

    /// This value with `fields` added to (or replacing those of) an object.
    public func merging(_ fields: [(String, JSONValue)]) -> JSONValue {
        guard case .object(var own) = self else { return self }
        for (key, value) in fields {
            if let i = own.firstIndex(where: { $0.0 == key }) { own[i].1 = value } else { own.append((key, value)) }
        }
        return .object(own)
    }

    public func write(to w: inout JSONWriter) {
        switch self {
        case .null: w.null()
        case .bool(let v): w.bool(v)
        case .int(let v): w.number(v)
        case .number(let v): w.number(v)
        case .string(let v): w.string(v)
        case .array(let items):
            w.raw("[")
            for (i, item) in items.enumerated() {
                if i > 0 { w.raw(",") }
                item.write(to: &w)
            }
            w.raw("]")
        case .object(let fields):
            w.raw("{")
            for (i, (key, value)) in fields.enumerated() {
                if i > 0 { w.raw(",") }
                w.key(key)
                value.write(to: &w)
            }
            w.raw("}")
        }
    }

    /// The UTF-8 JSON text.
    public var bytes: [UInt8] {
        var w = JSONWriter()
        write(to: &w)
        return w.bytes
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(elements) }
}
