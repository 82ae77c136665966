import Foundation
import TestSupport
import Testing
import VisionCore

/// The tokenizer against the ids and decodes transformers gave for the same tokenizer.json
/// (tools/fixtures/make_grounding_dino_fixtures.py).
@Suite struct WordPieceTokenizerTests {
    static func tokenizer() throws -> WordPieceTokenizer {
        try WordPieceTokenizer(json: FixtureFiles.data("models/grounding-dino-tiny/tokenizer.json"))
    }

    @Test func idsEqualTransformers() throws {
        let tokenizer = try Self.tokenizer()
        let manifest = try FixtureFiles.json("grounding_dino/manifest.json")
        let cases = manifest["tokenizer"] as! [[String: Any]]
        #expect(cases.count == 14)
        for c in cases {
            let text = c["text"] as! String
            #expect(tokenizer.encode(text) == c["ids"] as! [Int], "\(text.prefix(40))")
        }
    }

    @Test func decodesEqualTransformers() throws {
        let tokenizer = try Self.tokenizer()
        let manifest = try FixtureFiles.json("grounding_dino/manifest.json")
        let cases = manifest["decode"] as! [[String: Any]]
        #expect(cases.count == 6)
        for c in cases {
            #expect(tokenizer.decode(c["ids"] as! [Int]) == c["text"] as! String)
        }
    }

    @Test func specialTokensInTextAndControlCharacters() throws {
        let tokenizer = try Self.tokenizer()
        #expect(tokenizer.encode("a [MASK] cat") == [101, 1037, 103, 1109, 102])
        // Control characters vanish, other whitespace separates.
        #expect(tokenizer.encode("a\u{0B}cat\u{00A0}dog") == tokenizer.encode("acat dog"))
    }
}
