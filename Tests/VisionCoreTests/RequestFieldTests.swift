import Foundation
import Testing
@testable import VisionCore

/// A request field declared once: its default, its bounds (and their 400 text), its wrong-type
/// decoding error and its schema all come from the one declaration.
@Suite struct RequestFieldTests {
    static let topK = RequestField.integer("top_k", default: 5, minimum: 1, maximum: 100, description: "At most this many")
    static let threshold = RequestField.number("threshold", default: 0.5, minimum: 0, maximum: 1)
    static let floor = RequestField.number("floor", default: 1, minimum: 0.25)

    enum Colour: String, WireEnum { case red, green }
    static let colour = RequestField.choice("colour", default: Colour.red)
    static let maybe = RequestField<Colour>.optional("maybe")

    /// Decodes `json` and reads every field declared above from it.
    struct Probe: Decodable {
        let topK: Int, threshold: Float, floor: Float, colour: Colour, maybe: Colour?
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: FieldKey.self)
            topK = try RequestFieldTests.topK.read(from: c)
            threshold = try RequestFieldTests.threshold.read(from: c)
            floor = try RequestFieldTests.floor.read(from: c)
            colour = try RequestFieldTests.colour.read(from: c)
            maybe = try RequestFieldTests.maybe.read(from: c)
        }
    }

    func probe(_ json: String) throws -> Probe { try JSONDecoder().decode(Probe.self, from: Data(json.utf8)) }

    @Test func absentFieldsAreTheirDefaults() throws {
        let p = try probe("{}")
        #expect(p.topK == 5 && p.threshold == 0.5 && p.floor == 1)
        #expect(p.colour == .red && p.maybe == nil)
        let given = try probe(#"{"top_k": 7, "threshold": 1, "colour": "green", "maybe": "red", "floor": 3}"#)
        #expect(given.topK == 7 && given.threshold == 1 && given.colour == .green && given.maybe == .red && given.floor == 3)
    }

    @Test func boundsAre400sWordedFromTheDeclaration() {
        for (json, text) in [(#"{"top_k": 0}"#, "top_k must be between 1 and 100"),
                             (#"{"threshold": 1.5}"#, "threshold must be between 0 and 1"),
                             (#"{"floor": 0.1}"#, "floor must be at least 0.25")] {
            let error = #expect(throws: VisionError.self) { try probe(json) }
            #expect(error?.message == text && error?.category == .badRequest, "\(json): \(error?.message ?? "none")")
        }
    }

    @Test func wrongTypesAndValuesFailDecodingNamingTheField() {
        for json in [#"{"top_k": "many"}"#, #"{"threshold": null}"#, #"{"colour": "blue"}"#] {
            let error = #expect(throws: DecodingError.self) { try probe(json) }
            #expect(error != nil, "\(json)")
        }
    }

    @Test func theSchemaComesFromTheSameDeclaration() {
        #expect(Self.topK.name == "top_k")
        #expect(Self.topK.schema == Schema.integer(default: 5, minimum: 1, maximum: 100, description: "At most this many"))
        #expect(Self.threshold.schema == Schema.number(default: 0.5, minimum: 0, maximum: 1))
        // A float default is documented as written (0.4), not widened (0.4000000059604645): the
        // page's number inputs refuse the widened value as off their 0.01 step.
        #expect(RequestField.number("t", default: 0.4, maximum: 0.3).schema == Schema.number(default: 0.4, maximum: 0.3))
        #expect(Self.colour.schema == Schema.string(enum: ["red", "green"], default: "red"))
        #expect(Self.maybe.schema == Schema.string(enum: ["red", "green"]))
    }
}

/// A request declared once as a `RequestShape`: the schema lists exactly its fields, decoding
/// reads only them, and a nested object's fields are read inside it or at the top level.
@Suite struct RequestShapeTests {
    static let name = RequestField<String>.required("name", .string())
    static let note = RequestField<String?>.ifPresent("note", .string(description: "free text"))
    static let limit = RequestField.integer("limit", default: 3, minimum: 1, maximum: 9)
    static let options = RequestShape([limit]).nested("options")
    static let shape = RequestShape([name, note, options, limit], requiringAny: [["name", "note"]])
    /// Declared nowhere: reading it is refused.
    static let stray = RequestField<Bool>.boolean("stray", default: false)

    struct Probe: Decodable {
        let name: String, note: String?, limit: Int
        init(from decoder: any Decoder) throws {
            let fields = try RequestShapeTests.shape.fields(of: decoder)
            name = try fields.read(RequestShapeTests.name)
            note = try fields.read(RequestShapeTests.note)
            limit = try fields.nestedOrSelf(RequestShapeTests.options).read(RequestShapeTests.limit)
        }
    }

    struct StrayProbe: Decodable {
        init(from decoder: any Decoder) throws {
            _ = try RequestShapeTests.shape.fields(of: decoder).read(RequestShapeTests.stray)
        }
    }

    func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T { try JSONDecoder().decode(type, from: Data(json.utf8)) }

    @Test func theSchemaIsTheDeclaredFields() throws {
        let schema = Self.shape.schema.json
        guard case .object(let properties)? = schema["properties"] else { Issue.record("no properties"); return }
        #expect(properties.map(\.0) == ["name", "note", "options", "limit"])
        #expect(schema["required"] == ["name"])
        #expect(properties.first { $0.0 == "options" }?.1["properties"] == .object([("limit", Self.limit.schema.json)]))
        #expect(schema["allOf"] == [["anyOf": [["required": ["name"]], ["required": ["note"]]]]])
    }

    @Test func fieldsAreReadAtTheTopOrInTheirNestedObject() throws {
        let top = try decode(Probe.self, #"{"name": "a", "limit": 4}"#)
        #expect(top.name == "a" && top.note == nil && top.limit == 4)
        let nested = try decode(Probe.self, #"{"name": "a", "note": "n", "limit": 4, "options": {"limit": 7}}"#)
        #expect(nested.note == "n" && nested.limit == 7)
        // The nested object wins, defaults included.
        #expect(try decode(Probe.self, #"{"name": "a", "limit": 4, "options": {}}"#).limit == 3)
        #expect(throws: DecodingError.self) { try decode(Probe.self, #"{"limit": 4}"#) }
        #expect(throws: DecodingError.self) { try decode(Probe.self, #"{"name": "a", "options": 5}"#) }
    }

    @Test func readingAnUndeclaredFieldIsAServerFaultNotASilentExtra() {
        let error = #expect(throws: VisionError.self) { try decode(StrayProbe.self, #"{"stray": true}"#) }
        #expect(error?.category == .internalFailure, "\(String(describing: error))")
        #expect(error?.message.contains("stray") == true)
    }
}
