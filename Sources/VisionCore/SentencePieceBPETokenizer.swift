import Foundation

/// A SentencePiece-style BPE tokenizer read from a Hugging Face `tokenizer.json` (Gemma's, which
/// SigLIP 2 ships; Llama's): added tokens cut out of the raw text; the normalizer (`Replace`,
/// `Prepend`, `Lowercase`, the Unicode forms, in a `Sequence`); the pre-tokenizer (`Split` on a
/// string, `Metaspace`, or none); BPE over Unicode scalars with byte fallback (`<0xNN>` pieces for a
/// scalar outside the vocabulary) and consecutive unknowns fused; the special tokens around the
/// sequence from the post-processor's `TemplateProcessing`, or from `tokenizer_config.json`'s
/// `add_bos_token` / `add_eos_token` when it states them (as transformers then rebuilds the template).
public struct SentencePieceBPETokenizer: Sendable {
    enum Normalization: Sendable {
        case replace(String, String), prepend(String), lowercase, nfc, nfkc, nfd, nfkd
    }

    enum PreTokenization: Sendable {
        case none
        /// Split on a literal string, the match kept with the piece before (or after) it, alone, or dropped.
        case split(String, behavior: String)
        /// Spaces as the replacement character, prepended per the scheme, split before each one.
        case metaspace(replacement: String, prependScheme: String, split: Bool)
    }

    let vocab: [String: Int]
    let merges: BPEMerges
    let normalizations: [Normalization]
    let preTokenization: PreTokenization
    let byteFallback: Bool
    let fuseUnknown: Bool
    let ignoreMerges: Bool
    let addedTokens: AddedTokens
    /// Ids before and after a text's own (the template's special tokens).
    public let prefix: [Int]
    public let suffix: [Int]
    public let unknownID: Int?
    let ids: [String: Int]

    /// - Parameters:
    ///   - json: the `tokenizer.json` bytes.
    ///   - config: `tokenizer_config.json`, whose `add_bos_token` / `add_eos_token` (and token names) win.
    ///   - lowercase: a lower-casing normalizer in front of the file's (transformers' `Siglip2Tokenizer`).
    public init(json: Data, config: [String: Any] = [:], lowercase: Bool = false) throws {
        func bad(_ why: String) -> VisionError { .modelNotFound("tokenizer.json \(why)") }
        guard let root = try? JSONSerialization.jsonObject(with: json) as? [String: Any],
              let model = root["model"] as? [String: Any] else { throw bad("is not a tokenizer file") }
        guard (model["type"] as? String) == "BPE", let vocab = model["vocab"] as? [String: Int] else {
            throw bad("is a \((model["type"] as? String) ?? "unknown") model, not BPE")
        }
        guard (model["continuing_subword_prefix"] as? String ?? "").isEmpty,
              (model["end_of_word_suffix"] as? String ?? "").isEmpty else {
            throw bad("uses subword prefixes or suffixes (a WordPiece-style BPE this reader does not apply)")
        }
        self.vocab = vocab
        merges = BPEMerges(model["merges"] as? [Any] ?? [])
        byteFallback = model["byte_fallback"] as? Bool ?? false
        fuseUnknown = model["fuse_unk"] as? Bool ?? false
        ignoreMerges = model["ignore_merges"] as? Bool ?? false
        let added = AddedTokens.entries(in: root)
        addedTokens = AddedTokens(added)
        let ids = Dictionary(added, uniquingKeysWith: { a, _ in a }).merging(vocab, uniquingKeysWith: { a, _ in a })
        self.ids = ids
        unknownID = (model["unk_token"] as? String).flatMap { ids[$0] }
        normalizations = (lowercase ? [.lowercase] : []) + (try Self.normalizations(root["normalizer"], bad))
        preTokenization = try Self.preTokenization(root["pre_tokenizer"], bad)

        func token(_ key: String) -> Int? { AddedTokens.name(key, in: config).flatMap { ids[$0] } }
        if config["add_bos_token"] != nil || config["add_eos_token"] != nil {
            let bos = (config["add_bos_token"] as? Bool ?? false) ? token("bos_token") : nil
            let eos = (config["add_eos_token"] as? Bool ?? false) ? token("eos_token") : nil
            prefix = bos.map { [$0] } ?? []
            suffix = eos.map { [$0] } ?? []
        } else {
            (prefix, suffix) = try Self.template(root["post_processor"], ids: ids, bad)
        }
    }

    static func normalizations(_ value: Any?, _ bad: (String) -> VisionError) throws -> [Normalization] {
        guard let spec = value as? [String: Any] else { return [] }
        switch spec["type"] as? String {
        case "Sequence":
            return try (spec["normalizers"] as? [Any] ?? []).flatMap { try normalizations($0, bad) }
        case "Replace":
            guard let pattern = (spec["pattern"] as? [String: Any])?["String"] as? String,
                  let content = spec["content"] as? String else { throw bad("has a Replace normalizer on a regex") }
            return [.replace(pattern, content)]
        case "Prepend":
            return [.prepend(spec["prepend"] as? String ?? "▁")]
        case "Lowercase": return [.lowercase]
        case "NFC": return [.nfc]
        case "NFKC": return [.nfkc]
        case "NFD": return [.nfd]
        case "NFKD": return [.nfkd]
        case let other: throw bad("has a \(other ?? "unnamed") normalizer this reader does not apply")
        }
    }

    static func preTokenization(_ value: Any?, _ bad: (String) -> VisionError) throws -> PreTokenization {
        guard let spec = value as? [String: Any] else { return .none }
        switch spec["type"] as? String {
        case "Split":
            guard let pattern = (spec["pattern"] as? [String: Any])?["String"] as? String, !pattern.isEmpty,
                  spec["invert"] as? Bool != true,
                  let behavior = spec["behavior"] as? String,
                  ["MergedWithPrevious", "MergedWithNext", "Isolated", "Removed"].contains(behavior) else {
                throw bad("has a Split pre-tokenizer (regex, inverted or contiguous) this reader does not apply")
            }
            return .split(pattern, behavior: behavior)
        case "Metaspace":
            let scheme = spec["prepend_scheme"] as? String ?? ((spec["add_prefix_space"] as? Bool ?? true) ? "always" : "never")
            return .metaspace(replacement: spec["replacement"] as? String ?? "▁", prependScheme: scheme,
                              split: spec["split"] as? Bool ?? true)
        case let other: throw bad("has a \(other ?? "unnamed") pre-tokenizer this reader does not apply")
        }
    }

    /// The single-sequence template's special tokens before and after `$A`.
    static func template(_ value: Any?, ids: [String: Int], _ bad: (String) -> VisionError) throws -> ([Int], [Int]) {
        guard let spec = value as? [String: Any] else { return ([], []) }
        guard spec["type"] as? String == "TemplateProcessing", let single = spec["single"] as? [[String: Any]] else {
            throw bad("has a \((spec["type"] as? String) ?? "unnamed") post-processor this reader does not apply")
        }
        let specials = spec["special_tokens"] as? [String: [String: Any]] ?? [:]
        var before: [Int] = [], after: [Int] = [], seen = false
        for item in single {
            if item["Sequence"] != nil { seen = true; continue }
            guard let name = (item["SpecialToken"] as? [String: Any])?["id"] as? String,
                  let tokenIDs = (specials[name]?["ids"] as? [Int]) ?? ids[name].map({ [$0] }) else {
                throw bad("has a template token with no id")
            }
            if seen { after += tokenIDs } else { before += tokenIDs }
        }
        return (before, after)
    }

    /// The id of a token (added or in the vocabulary).
    public func id(of token: String) -> Int? { ids[token] }

    /// A text's ids without the template's special tokens.
    public func encodeWithoutSpecials(_ text: String) -> [Int] {
        var out: [Int] = [], first = true
        for segment in addedTokens.split(text) {
            switch segment {
            case .added(let id): out.append(id)
            case .text(let chunk):
                for word in words(normalize(chunk), first: first) { out += bpe(word) }
            }
            first = false
        }
        return out
    }

    /// A text's ids with the template's special tokens.
    public func encode(_ text: String) -> [Int] { prefix + encodeWithoutSpecials(text) + suffix }

    func normalize(_ text: String) -> String {
        var t = text
        for step in normalizations {
            switch step {
            case .replace(let pattern, let content): t = t.replacingOccurrences(of: pattern, with: content)
            case .prepend(let content): if !t.isEmpty { t = content + t }
            case .lowercase: t = t.lowercased()
            case .nfc: t = t.precomposedStringWithCanonicalMapping
            case .nfkc: t = t.precomposedStringWithCompatibilityMapping
            case .nfd: t = t.decomposedStringWithCanonicalMapping
            case .nfkd: t = t.decomposedStringWithCompatibilityMapping
            }
        }
        return t
    }

    /// The normalised text cut into the words BPE runs on.
    func words(_ text: String, first: Bool) -> [String] {
        switch preTokenization {
        case .none:
            return text.isEmpty ? [] : [text]
        case .split(let pattern, let behavior):
            return Self.split(text, on: pattern, behavior: behavior)
        case .metaspace(let replacement, let scheme, let split):
            var t = text.replacingOccurrences(of: " ", with: replacement)
            if (scheme == "always" || (scheme == "first" && first)) && !t.isEmpty && !t.hasPrefix(replacement) {
                t = replacement + t
            }
            return split ? Self.split(t, on: replacement, behavior: "MergedWithNext") : (t.isEmpty ? [] : [t])
        }
    }

    static func split(_ text: String, on pattern: String, behavior: String) -> [String] {
        var out: [String] = [], rest = Substring(text)
        var carried = ""
        while let range = rest.range(of: pattern) {
            let before = String(rest[..<range.lowerBound])
            switch behavior {
            case "MergedWithPrevious": out.append(carried + before + pattern); carried = ""
            case "MergedWithNext": out.append(carried + before); carried = pattern
            case "Isolated": out.append(carried + before); out.append(pattern); carried = ""
            default: out.append(carried + before); carried = ""
            }
            rest = rest[range.upperBound...]
        }
        out.append(carried + String(rest))
        return out.filter { !$0.isEmpty }
    }

    /// A word's scalars (byte pieces for those outside the vocabulary, or the unknown token), merged.
    func bpe(_ word: String) -> [Int] {
        if ignoreMerges, let id = vocab[word] { return [id] }
        let unknown = "\u{0}<unk>"
        var pieces: [String] = []
        for scalar in word.unicodeScalars {
            let text = String(scalar)
            if vocab[text] != nil {
                pieces.append(text)
            } else if byteFallback, case let bytes = text.utf8.map({ String(format: "<0x%02X>", $0) }),
                      bytes.allSatisfy({ vocab[$0] != nil }) {
                pieces += bytes
            } else if !(fuseUnknown && pieces.last == unknown) {
                pieces.append(unknown)
            }
        }
        return merges.apply(pieces).compactMap { $0 == unknown ? unknownID : vocab[$0] }
    }
}
