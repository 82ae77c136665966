/// One request field, declared once: its wire name, its schema (type, default, bounds or choices,
/// description) and how it is read from a request object. An absent field is its default; a value
/// of the wrong type fails decoding as every route's does (422 naming the field); a value outside
/// its bounds is a 400 whose text comes from the bounds. The request decodes it with `read(from:)`
/// and its `RequestShape` lists `name` and `schema` in the document: the two cannot disagree.
public struct RequestField<Value: Sendable>: DeclaredRequestField {
    public let name: String
    public let schema: Schema
    /// Whether a request must give it (the shape's `required` list).
    public let required: Bool
    private let reader: @Sendable (KeyedDecodingContainer<FieldKey>, FieldKey) throws -> Value

    /// A field read by `read` (given the request object and the field's key).
    public init(name: String, schema: Schema, required: Bool = false,
                read: @escaping @Sendable (KeyedDecodingContainer<FieldKey>, FieldKey) throws -> Value) {
        self.name = name
        self.schema = schema
        self.required = required
        self.reader = read
    }

    /// The field's value in a request object (or its `parameters` object).
    public func read(from container: KeyedDecodingContainer<FieldKey>) throws -> Value {
        try reader(container, FieldKey(name))
    }
}

/// A request object's keys by name, for `RequestField`s.
public struct FieldKey: CodingKey, Sendable {
    public let stringValue: String
    public var intValue: Int? { nil }
    public init(_ name: String) { stringValue = name }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}

extension RequestField where Value: Decodable {
    /// A field every request must give, of `Value`'s JSON form (absent: a 422 naming it).
    public static func required(_ name: String, _ schema: Schema) -> RequestField<Value> {
        RequestField(name: name, schema: schema, required: true) { c, key in try c.decode(Value.self, forKey: key) }
    }

    /// A field that may be absent (nil), of `Wrapped`'s JSON form: `RequestField<Double?>.ifPresent("focal_length", ...)`.
    public static func ifPresent<Wrapped: Decodable & Sendable>(_ name: String, _ schema: Schema) -> RequestField<Wrapped?>
    where Value == Wrapped? {
        RequestField<Wrapped?>(name: name, schema: schema) { c, key in try c.decodeOptional(Wrapped.self, forKey: key) }
    }
}

extension RequestField where Value == Int {
    /// An integer with a default, checked against `minimum` and `maximum`.
    public static func integer(_ name: String, default value: Int, minimum: Int? = nil, maximum: Int? = nil,
                               description: String? = nil) -> RequestField<Int> {
        RequestField(name: name, schema: .integer(default: value, minimum: minimum, maximum: maximum, description: description)) { c, key in
            let given = try c.decodeOptional(Int.self, forKey: key) ?? value
            try Bounds.check(name, Double(given), minimum.map(Double.init), maximum.map(Double.init))
            return given
        }
    }
}

extension RequestField where Value == Float {
    /// A number with a default, checked against `minimum` and `maximum` (a NaN is outside any).
    public static func number(_ name: String, default value: Float, minimum: Float? = nil, maximum: Float? = nil,
                              description: String? = nil) -> RequestField<Float> {
        // Float bounds as the decimals they were written as (0.4, not 0.4000000059604645): in the
        // document, the page's form and the checks alike.
        let low = minimum.map(Self.decimal), high = maximum.map(Self.decimal)
        return RequestField(name: name, schema: .number(default: Self.decimal(value), minimum: low, maximum: high,
                                                        description: description)) { c, key in
            // Read wide and checked before narrowing: a value beyond float32 is outside the bounds
            // (a 400 naming them), not unreadable JSON.
            let given = try c.decodeOptional(Double.self, forKey: key) ?? Self.decimal(value)
            try Bounds.check(name, given, low, high)
            return Float(given)
        }
    }

    /// The double nearest the float's shortest decimal form.
    static func decimal(_ value: Float) -> Double { Double(value.description) ?? Double(value) }
}

extension RequestField where Value == Bool {
    /// A boolean with a default.
    public static func boolean(_ name: String, default value: Bool, description: String? = nil) -> RequestField<Bool> {
        RequestField(name: name, schema: .boolean(default: value, description: description)) { c, key in
            try c.decodeOptional(Bool.self, forKey: key) ?? value
        }
    }
}

extension RequestField where Value: WireEnum {
    /// One of a wire enum's values, with a default.
    public static func choice(_ name: String, default value: Value, description: String? = nil) -> RequestField<Value> {
        RequestField(name: name, schema: .string(enum: Value.wireValues, default: value.rawValue, description: description)) { c, key in
            try c.decodeOptional(Value.self, forKey: key) ?? value
        }
    }

    /// One of a wire enum's values, or nil when absent (the model's own choice):
    /// `RequestField<Colour>.optional("colour")`.
    public static func optional(_ name: String, description: String? = nil) -> RequestField<Value?> {
        RequestField<Value?>(name: name, schema: .string(enum: Value.wireValues, description: description)) { c, key in
            try c.decodeOptional(Value.self, forKey: key)
        }
    }
}

/// The 400 of a value outside its field's bounds, worded from the bounds.
enum Bounds {
    static func check(_ name: String, _ value: Double, _ minimum: Double?, _ maximum: Double?) throws {
        let inside = (minimum.map { value >= $0 } ?? true) && (maximum.map { value <= $0 } ?? true) && !value.isNaN
        guard !inside else { return }
        // An upper bound that only keeps a value in 32 bits is no limit worth naming.
        let maximum = maximum.flatMap { $0 >= Double(Int32.max) ? nil : $0 }
        switch (minimum, maximum) {
        case let (low?, high?): throw VisionError.invalidInput("\(name) must be between \(text(low)) and \(text(high))")
        case let (low?, nil): throw VisionError.invalidInput("\(name) must be at least \(text(low))")
        case let (nil, high?): throw VisionError.invalidInput("\(name) must be at most \(text(high))")
        case (nil, nil): throw VisionError.invalidInput("\(name) must be a number")
        }
    }

    /// 1 for 1.0, 0.25 for 0.25.
    static func text(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
