import Foundation
import TestSupport
import Testing
@testable import VisionCore

/// tokenizer.json BPE tokenizers beyond Gemma's (which the SigLIP 2 parity fixtures hold): a
/// Llama-style one (NFKC, Metaspace, no byte fallback, unknowns fused, a start token) and one with a
/// normalizer sequence, an isolating Split and byte fallback; ids from the `tokenizers` library
/// (tools/fixtures/make_bpe_tokenizer_fixtures.py).
@Suite struct SentencePieceBPETokenizerTests {
    @Test func idsEqualTheTokenizersLibrary() throws {
        let manifest = try FixtureFiles.json("tokenizers/manifest.json")
        var checked = 0
        for entry in manifest["cases"] as! [[String: Any]] {
            let name = entry["tokenizer"] as! String
            let tokenizer = try SentencePieceBPETokenizer(json: try FixtureFiles.data("tokenizers/" + name))
            for text in entry["texts"] as! [[String: Any]] {
                let want = text["ids"] as! [Int]
                #expect(tokenizer.encode(text["text"] as! String) == want, "\(name) \(text["text"]!)")
                checked += 1
            }
        }
        #expect(checked == 16)
    }

    /// tokenizer_config.json's add_bos_token / add_eos_token replace the file's template, as
    /// transformers rebuilds it.
    @Test func configFlagsReplaceTheTemplate() throws {
        let json = try FixtureFiles.data("tokenizers/llama-style.json")
        let plain = try SentencePieceBPETokenizer(json: json)
        let flipped = try SentencePieceBPETokenizer(json: json, config: [
            "add_bos_token": false, "add_eos_token": true, "bos_token": "<s>", "eos_token": ["content": "</s>"]])
        #expect(plain.prefix == [1] && plain.suffix.isEmpty)
        #expect(flipped.prefix.isEmpty && flipped.suffix == [2])
        #expect(flipped.encode("a cat") == plain.encodeWithoutSpecials("a cat") + [2])
    }

    @Test func refusesWhatItDoesNotApply() {
        for (json, reason) in [
            (#"{"model":{"type":"Unigram","vocab":[]}}"#, "Unigram"),
            (#"{"model":{"type":"BPE","vocab":{},"merges":[]},"normalizer":{"type":"BertNormalizer"}}"#, "BertNormalizer"),
            (#"{"model":{"type":"BPE","vocab":{},"merges":[]},"pre_tokenizer":{"type":"ByteLevel"}}"#, "ByteLevel"),
        ] {
            let error = #expect(throws: VisionError.self) { try SentencePieceBPETokenizer(json: Data(json.utf8)) }
            #expect(error?.message.contains(reason) == true, "\(String(describing: error))")
        }
    }
}
