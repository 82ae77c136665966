/// The one definition of a JSON object a response writes: each field's name, its schema and how
/// it is written, side by side, so the bytes on the wire and the OpenAPI schema come from the same
/// declaration. Writing goes straight to a `JSONWriter` (large arrays stay as fast as before).
public struct JSONShape<Root>: Sendable {
    /// One field of the object.
    public struct Field: Sendable {
        public let name: String
        public let schema: Schema
        /// Whether every object has it (optional fields are left out when `present` is false).
        public let required: Bool
        let present: @Sendable (Root) -> Bool
        let write: @Sendable (Root, inout JSONWriter) -> Void

        /// A field written by `write`, with its schema; left out where `present` is false.
        public static func custom(_ name: String, _ schema: Schema, present: (@Sendable (Root) -> Bool)? = nil,
                                  _ write: @escaping @Sendable (Root, inout JSONWriter) -> Void) -> Field {
            Field(name: name, schema: schema, required: present == nil, present: present ?? { _ in true }, write: write)
        }

        public static func string(_ name: String, enum values: [String]? = nil, description: String? = nil,
                                  _ value: @escaping @Sendable (Root) -> String) -> Field {
            custom(name, .string(enum: values, description: description)) { r, w in w.string(value(r)) }
        }

        public static func boolean(_ name: String, description: String? = nil,
                                   _ value: @escaping @Sendable (Root) -> Bool) -> Field {
            custom(name, .boolean(description: description)) { r, w in w.bool(value(r)) }
        }

        /// A number, or JSON `null` where there is none.
        public static func optionalNumber(_ name: String, description: String? = nil,
                                          _ value: @escaping @Sendable (Root) -> Double?) -> Field {
            custom(name, .number(nullable: true, description: description)) { r, w in
                if let v = value(r) { w.number(v) } else { w.null() }
            }
        }

        public static func number(_ name: String, description: String? = nil,
                                  _ value: @escaping @Sendable (Root) -> Double) -> Field {
            custom(name, .number(description: description)) { r, w in w.number(value(r)) }
        }

        /// A float32 value, written in float32's shortest form (not widened to a double's digits).
        public static func float(_ name: String, description: String? = nil,
                                 _ value: @escaping @Sendable (Root) -> Float) -> Field {
            custom(name, .number(description: description)) { r, w in w.number(value(r)) }
        }

        public static func integer(_ name: String, description: String? = nil,
                                   _ value: @escaping @Sendable (Root) -> Int) -> Field {
            custom(name, .integer(description: description)) { r, w in w.number(value(r)) }
        }

        public static func integers(_ name: String, description: String? = nil,
                                    _ value: @escaping @Sendable (Root) -> [Int]) -> Field {
            custom(name, .array(.integer(), description: description)) { r, w in w.ints(value(r)) }
        }

        public static func numbers(_ name: String, description: String? = nil,
                                   _ value: @escaping @Sendable (Root) -> [Float]) -> Field {
            custom(name, .array(.number(), description: description)) { r, w in w.floats(value(r)) }
        }

        public static func strings(_ name: String, enum values: [String]? = nil, description: String? = nil,
                                   _ value: @escaping @Sendable (Root) -> [String]) -> Field {
            custom(name, .array(.string(enum: values), description: description)) { r, w in
                w.raw("[")
                for (i, s) in value(r).enumerated() {
                    if i > 0 { w.raw(",") }
                    w.string(s)
                }
                w.raw("]")
            }
        }

        /// Rows of numbers (boxes [x1, y1, x2, y2], matrices).
        public static func rows(_ name: String, description: String? = nil,
                                _ value: @escaping @Sendable (Root) -> [[Float]]) -> Field {
            custom(name, .array(.array(.number()), description: description)) { r, w in w.rows(value(r)) }
        }

        /// A nested object: inline, or a reference to the component `ref` (whose schema is `shape.schema`).
        public static func object<Value>(_ name: String, _ shape: JSONShape<Value>, ref: String? = nil,
                                         present: (@Sendable (Root) -> Bool)? = nil,
                                         _ value: @escaping @Sendable (Root) -> Value) -> Field {
            custom(name, ref.map(Schema.ref) ?? shape.schema, present: present) { r, w in shape.write(value(r), to: &w) }
        }

        /// A list of objects of one shape.
        public static func objects<Value>(_ name: String, _ shape: JSONShape<Value>, ref: String? = nil,
                                          description: String? = nil,
                                          _ value: @escaping @Sendable (Root) -> [Value]) -> Field {
            custom(name, .array(ref.map(Schema.ref) ?? shape.schema, description: description)) { r, w in
                shape.writeList(value(r), to: &w)
            }
        }
    }

    public let fields: [Field]
    public let description: String?

    public init(_ fields: [Field], description: String? = nil) {
        self.fields = fields
        self.description = description
    }

    /// The object's schema, from the fields.
    public var schema: Schema {
        .object(properties: fields.map { ($0.name, $0.schema) }, required: fields.filter(\.required).map(\.name),
                description: description)
    }

    /// Writes `root` as this object.
    public func write(_ root: Root, to w: inout JSONWriter) {
        w.raw("{")
        var first = true
        for field in fields where field.present(root) {
            if !first { w.raw(",") }
            first = false
            w.key(field.name)
            field.write(root, &w)
        }
        w.raw("}")
    }

    /// Writes `roots` as a JSON list of this object.
    public func writeList(_ roots: [Root], to w: inout JSONWriter) {
        w.raw("[")
        for (i, root) in roots.enumerated() {
            if i > 0 { w.raw(",") }
            write(root, to: &w)
        }
        w.raw("]")
    }

    /// The JSON of `root` as this object.
    public func json(_ root: Root, capacity: Int = 1024) -> [UInt8] {
        var w = JSONWriter(capacity: capacity)
        write(root, to: &w)
        return w.bytes
    }
}

extension JSONWriter {
    /// `[v, v, ...]`.
    public mutating func floats(_ values: [Float]) {
        raw("[")
        for (i, v) in values.enumerated() {
            if i > 0 { raw(",") }
            number(v)
        }
        raw("]")
    }

    /// `[[v, ...], ...]`.
    public mutating func rows(_ rows: [[Float]]) {
        raw("[")
        for (i, row) in rows.enumerated() {
            if i > 0 { raw(",") }
            floats(row)
        }
        raw("]")
    }
}

extension JSONShape {
    /// These fields on an outer object, read from the value `inner` gives (left out where it gives nil).
    public func fields<Outer>(on inner: @escaping @Sendable (Outer) -> Root?) -> [JSONShape<Outer>.Field] {
        fields.map { field in
            JSONShape<Outer>.Field(
                name: field.name, schema: field.schema, required: false,
                present: { outer in inner(outer).map(field.present) ?? false },
                write: { outer, w in field.write(inner(outer)!, &w) })
        }
    }
}
