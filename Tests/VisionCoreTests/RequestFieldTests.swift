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
        #expect(Self.topK.property.0 == "top_k")
        #expect(Self.topK.schema == Schema.integer(default: 5, minimum: 1, maximum: 100, description: "At most this many"))
        #expect(Self.threshold.schema == Schema.number(default: 0.5, minimum: 0, maximum: 1))
        #expect(Self.colour.schema == Schema.string(enum: ["red", "green"], default: "red"))
        #expect(Self.maybe.schema == Schema.string(enum: ["red", "green"]))
    }
}
