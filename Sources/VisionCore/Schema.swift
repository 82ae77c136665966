/// An OpenAPI 3.1 (JSON Schema 2020-12) schema, built next to the type it describes.
public struct Schema: Sendable, Equatable {
    public let json: JSONValue

    public init(_ json: JSONValue) { self.json = json }

    private static func with(_ base: [(String, JSONValue)], description: String?) -> Schema {
        Schema(.object(base + (description.map { [("description", .string($0))] } ?? [])))
    }

    /// An object with these properties (in order); `required` names those that must be present.
    public static func object(_ properties: KeyValuePairs<String, Schema>, required: [String] = [],
                              description: String? = nil, additional: Schema? = nil) -> Schema {
        var fields: [(String, JSONValue)] = [("type", "object")]
        if !properties.isEmpty { fields.append(("properties", .object(properties.map { ($0.key, $0.value.json) }))) }
        if !required.isEmpty { fields.append(("required", .array(required.map { .string($0) }))) }
        if let additional { fields.append(("additionalProperties", additional.json)) }
        return with(fields, description: description)
    }

    /// An object from a property list (for lists assembled from parts, e.g. shared selection fields).
    public static func object(properties: [(String, Schema)], required: [String] = [], description: String? = nil) -> Schema {
        var fields: [(String, JSONValue)] = [("type", "object")]
        if !properties.isEmpty { fields.append(("properties", .object(properties.map { ($0.0, $0.1.json) }))) }
        if !required.isEmpty { fields.append(("required", .array(required.map { .string($0) }))) }
        return with(fields, description: description)
    }

    /// A string; `pattern` is an ECMA-262 regular expression the server enforces too.
    public static func string(enum values: [String]? = nil, default value: String? = nil, format: String? = nil,
                              minLength: Int? = nil, maxLength: Int? = nil, pattern: String? = nil,
                              examples: [String]? = nil, description: String? = nil) -> Schema {
        var fields: [(String, JSONValue)] = [("type", "string")]
        if let values { fields.append(("enum", .array(values.map { .string($0) }))) }
        if let value { fields.append(("default", .string(value))) }
        if let format { fields.append(("format", .string(format))) }
        if let minLength { fields.append(("minLength", .int(minLength))) }
        if let maxLength { fields.append(("maxLength", .int(maxLength))) }
        if let pattern { fields.append(("pattern", .string(pattern))) }
        if let examples { fields.append(("examples", .array(examples.map { .string($0) }))) }
        return with(fields, description: description)
    }

    /// This object schema, valid only when at least one of `fields` is present
    /// (`anyOf: [{required: [a]}, {required: [b]}, ...]`).
    /// Several of these apply together (they are collected under `allOf`).
    public func requiringAny(of fields: [String]) -> Schema {
        guard case .object(var members) = json else { preconditionFailure("requiringAny(of:) applies to an object schema") }
        let rule: JSONValue = ["anyOf": .array(fields.map { ["required": [.string($0)]] })]
        if let i = members.firstIndex(where: { $0.0 == "allOf" }), case .array(let rules) = members[i].1 {
            members[i].1 = .array(rules + [rule])
        } else {
            members.append(("allOf", [rule]))
        }
        return Schema(.object(members))
    }

    /// Every schema in `parts` at once (`allOf`), e.g. a request plus fields a route adds.
    public static func allOf(_ parts: [Schema], description: String? = nil) -> Schema {
        with([("allOf", .array(parts.map(\.json)))], description: description)
    }

    public static func number(default value: Double? = nil, minimum: Double? = nil, maximum: Double? = nil,
                              nullable: Bool = false, description: String? = nil) -> Schema {
        var fields: [(String, JSONValue)] = [("type", nullable ? ["number", "null"] : "number")]
        if let value { fields.append(("default", .number(value))) }
        if let minimum { fields.append(("minimum", .number(minimum))) }
        if let maximum { fields.append(("maximum", .number(maximum))) }
        return with(fields, description: description)
    }

    public static func integer(default value: Int? = nil, minimum: Int? = nil, maximum: Int? = nil,
                               nullable: Bool = false, description: String? = nil) -> Schema {
        var fields: [(String, JSONValue)] = [("type", nullable ? ["integer", "null"] : "integer")]
        if let value { fields.append(("default", .int(value))) }
        if let minimum { fields.append(("minimum", .int(minimum))) }
        if let maximum { fields.append(("maximum", .int(maximum))) }
        return with(fields, description: description)
    }

    public static func boolean(default value: Bool? = nil, description: String? = nil) -> Schema {
        with([("type", "boolean")] + (value.map { [("default", .bool($0))] } ?? []), description: description)
    }

    public static func array(_ items: Schema, minItems: Int? = nil, maxItems: Int? = nil,
                             description: String? = nil) -> Schema {
        var fields: [(String, JSONValue)] = [("type", "array"), ("items", items.json)]
        if let minItems { fields.append(("minItems", .int(minItems))) }
        if let maxItems { fields.append(("maxItems", .int(maxItems))) }
        return with(fields, description: description)
    }

    /// A string or null.
    public static func nullableString(description: String? = nil) -> Schema {
        with([("type", ["string", "null"])], description: description)
    }

    /// A reference to `#/components/schemas/<name>`.
    public static func ref(_ name: String) -> Schema { Schema(["$ref": .string("#/components/schemas/\(name)")]) }

    public static func oneOf(_ choices: [Schema], description: String? = nil) -> Schema {
        with([("oneOf", .array(choices.map(\.json)))], description: description)
    }

    /// Any JSON value.
    public static func any(description: String? = nil) -> Schema { with([], description: description) }
}
