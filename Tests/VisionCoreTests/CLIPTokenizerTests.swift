import Foundation
import TestSupport
import Testing
import VisionCore

/// CLIP BPE against the ids transformers gave (padded to 32 as Sam3Processor does;
/// tools/fixtures/make_sam3_fixtures.py).
@Suite struct CLIPTokenizerTests {
    @Test func paddedIdsEqualTransformers() throws {
        let tokenizer = try CLIPTokenizer(json: FixtureFiles.data("models/sam3-tiny/tokenizer.json"))
        let manifest = try FixtureFiles.json("sam3/manifest.json")
        let cases = manifest["tokenizer"] as! [[String: Any]]
        #expect(cases.count == 7)
        var truncated = 0
        for c in cases {
            let text = c["text"] as! String
            let expected = c["ids"] as! [Int]
            if (c["attention_mask"] as! [Int]).allSatisfy({ $0 == 1 }) && text.count > 30 {
                // transformers truncated it; the server refuses prompts longer than the model reads.
                #expect(tokenizer.encodePadded(text, length: 32) == nil)
                truncated += 1
                continue
            }
            let got = try #require(tokenizer.encodePadded(text, length: 32), "\(text)")
            #expect(got.ids == expected, "\(text)")
            #expect(got.mask == c["attention_mask"] as! [Int], "\(text)")
        }
        #expect(truncated >= 1 && truncated < cases.count, "both kinds of case are checked")
    }
}
