/// What a request object declares of a field: its name, its schema, whether it is required.
public protocol DeclaredRequestField: Sendable {
    var name: String { get }
    var schema: Schema { get }
    var required: Bool { get }
}

/// A request object declared once: its fields (`RequestField`s), from which both its OpenAPI
/// schema (`schema`) and its decoding (`fields(of:)`, which reads only declared fields) come. A
/// field the decoder reads is therefore a field the document lists.
public struct RequestShape: Sendable {
    public let fields: [any DeclaredRequestField]
    /// Each list: at least one of these fields must be present (`anyOf` of `required`).
    public let requiringAny: [[String]]
    public let description: String?
    /// The declared fields' names: the only ones decoding reads.
    let names: Set<String>

    /// `fields` in document order; `required` overrides the fields' own flags (e.g. fields of a
    /// nested object also accepted at the top level, where they are optional).
    public init(_ fields: [any DeclaredRequestField], requiringAny: [[String]] = [], description: String? = nil,
                required: [String]? = nil) {
        var seen = Set<String>()
        for field in fields { precondition(seen.insert(field.name).inserted, "request field \(field.name) is declared twice") }
        self.fields = fields
        self.requiringAny = requiringAny
        self.description = description
        self.names = seen
        self.requiredNames = required ?? fields.filter(\.required).map(\.name)
    }

    private let requiredNames: [String]

    /// The request's schema.
    public var schema: Schema {
        requiringAny.reduce(Schema.object(properties: fields.map { ($0.name, $0.schema) }, required: requiredNames,
                                          description: description)) { $0.requiringAny(of: $1) }
    }

    /// The fields of the request object `decoder` reads.
    public func fields(of decoder: any Decoder) throws -> RequestFields {
        RequestFields(container: try decoder.container(keyedBy: FieldKey.self), declared: names)
    }

    /// An object-valued field whose own fields are this shape's (the task form's `parameters`),
    /// described by `description`.
    public func nested(_ name: String, description: String? = nil) -> NestedRequestObject {
        NestedRequestObject(name: name, shape: RequestShape(fields, requiringAny: requiringAny, description: description,
                                                            required: requiredNames))
    }
}

/// A field holding an object of its own shape, e.g. `{"parameters": {"top_k": 3}}`.
public struct NestedRequestObject: DeclaredRequestField {
    public let name: String
    public let shape: RequestShape
    public var required: Bool { false }
    public var schema: Schema { shape.schema }
}

/// A request object's declared fields, as `RequestShape.fields(of:)` opens them.
public struct RequestFields {
    let container: KeyedDecodingContainer<FieldKey>
    let declared: Set<String>

    /// The value of `field`. Reading a field the shape does not declare is a server fault, not a
    /// silent extra: the document would not list it.
    public func read<Value>(_ field: RequestField<Value>) throws -> Value {
        guard declared.contains(field.name) else {
            throw VisionError.internalError("request field \(field.name) is read but not declared in its shape")
        }
        return try field.read(from: container)
    }

    /// The fields inside `object` when the request gives it, else these (its fields also accepted
    /// at the top level).
    public func nestedOrSelf(_ object: NestedRequestObject) throws -> RequestFields {
        guard declared.contains(object.name) else {
            throw VisionError.internalError("request field \(object.name) is read but not declared in its shape")
        }
        let key = FieldKey(object.name)
        guard container.contains(key) else { return self }
        return RequestFields(container: try container.nestedContainer(keyedBy: FieldKey.self, forKey: key),
                             declared: object.shape.names)
    }

    /// The 422 of a required-in-context field the request left out.
    public func missing(_ field: any DeclaredRequestField) -> DecodingError {
        DecodingError.keyNotFound(FieldKey(field.name), .init(codingPath: container.codingPath,
                                                             debugDescription: "No value associated with key \(field.name)"))
    }
}
