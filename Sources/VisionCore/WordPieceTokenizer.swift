import Foundation

/// A BERT WordPiece tokenizer read from a Hugging Face `tokenizer.json` (the `tokenizers`
/// library's format): BertNormalizer (clean text, CJK spacing, accent stripping, lower-casing),
/// BertPreTokenizer (whitespace and punctuation), greedy longest-match WordPiece with `[UNK]` for
/// words it cannot cover, `[CLS] … [SEP]` around the sequence, and the WordPiece decoder.
public struct WordPieceTokenizer: Sendable {
    let vocab: [String: Int]
    let tokens: [Int: String]
    let unknownID: Int
    let prefix: String
    let maxCharactersPerWord: Int
    let lowercase: Bool
    let stripAccents: Bool
    let cleanText: Bool
    let handleChineseCharacters: Bool
    let addedTokens: AddedTokens
    /// Ids put before and after the sequence ([CLS] and [SEP] for BERT).
    public let prefixIDs: [Int]
    public let suffixIDs: [Int]
    let cleanupDecoding: Bool

    public init(json data: Data) throws {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let model = root["model"] as? [String: Any], (model["type"] as? String) == "WordPiece",
              let vocab = model["vocab"] as? [String: Int] else {
            throw VisionError.modelNotFound("tokenizer.json is not a WordPiece tokenizer")
        }
        self.vocab = vocab
        var tokens = Dictionary(uniqueKeysWithValues: vocab.map { ($1, $0) })
        let unknown = (model["unk_token"] as? String) ?? "[UNK]"
        guard let unknownID = vocab[unknown] else {
            throw VisionError.modelNotFound("tokenizer.json: the unknown token '\(unknown)' is not in the vocabulary")
        }
        self.unknownID = unknownID
        prefix = (model["continuing_subword_prefix"] as? String) ?? "##"
        maxCharactersPerWord = (model["max_input_chars_per_word"] as? Int) ?? 100
        let normalizer = root["normalizer"] as? [String: Any] ?? [:]
        lowercase = (normalizer["lowercase"] as? Bool) ?? true
        stripAccents = (normalizer["strip_accents"] as? Bool) ?? lowercase
        cleanText = (normalizer["clean_text"] as? Bool) ?? true
        handleChineseCharacters = (normalizer["handle_chinese_chars"] as? Bool) ?? true
        var added: [(String, Int)] = []
        for entry in root["added_tokens"] as? [[String: Any]] ?? [] {
            guard let content = entry["content"] as? String, let id = entry["id"] as? Int else { continue }
            tokens[id] = content
            if (entry["special"] as? Bool) == true { added.append((content, id)) }
        }
        addedTokens = AddedTokens(added)
        self.tokens = tokens
        (prefixIDs, suffixIDs) = Self.template(root["post_processor"] as? [String: Any], vocab: tokens)
        cleanupDecoding = ((root["decoder"] as? [String: Any])?["cleanup"] as? Bool) ?? true
    }

    /// The special tokens around a single sequence: TemplateProcessing's `single` or
    /// BertProcessing's cls/sep; none without a post-processor.
    private static func template(_ processor: [String: Any]?, vocab: [Int: String]) -> ([Int], [Int]) {
        guard let processor else { return ([], []) }
        let ids = Dictionary(vocab.map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        if let single = processor["single"] as? [[String: Any]] {
            var before: [Int] = [], after: [Int] = [], seenSequence = false
            for piece in single {
                if piece["Sequence"] != nil { seenSequence = true; continue }
                guard let special = piece["SpecialToken"] as? [String: Any], let name = special["id"] as? String,
                      let id = ids[name] else { continue }
                if seenSequence { after.append(id) } else { before.append(id) }
            }
            return (before, after)
        }
        if let cls = processor["cls"] as? [Any], let sep = processor["sep"] as? [Any],
           let clsID = cls.last as? Int, let sepID = sep.last as? Int {
            return ([clsID], [sepID])
        }
        return ([], [])
    }

    /// Token ids of `text` with the special tokens around it.
    public func encode(_ text: String) -> [Int] {
        prefixIDs + encodeWithoutSpecialTokens(text) + suffixIDs
    }

    public func encodeWithoutSpecialTokens(_ text: String) -> [Int] {
        var ids: [Int] = []
        for segment in addedTokens.split(text) {
            switch segment {
            case .added(let id): ids.append(id)
            case .text(let chunk):
                for word in preTokenize(normalize(chunk)) { ids += wordPiece(word) }
            }
        }
        return ids
    }

    /// BertNormalizer, in its order: clean text, space out CJK, strip accents (NFD, drop marks), lower-case.
    func normalize(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            if cleanText {
                if s.value == 0 || s.value == 0xFFFD || isControl(s) { continue }
                if isWhitespace(s) { scalars.append(" "); continue }
            }
            if handleChineseCharacters && isChinese(s) {
                scalars.append(" "); scalars.append(s); scalars.append(" ")
            } else {
                scalars.append(s)
            }
        }
        var result = String(scalars)
        if stripAccents {
            result = String(String.UnicodeScalarView(
                result.decomposedStringWithCanonicalMapping.unicodeScalars.filter { $0.properties.generalCategory != .nonspacingMark }))
        }
        if lowercase { result = result.lowercased() }
        return result
    }

    /// Words split on whitespace, each punctuation character its own word.
    func preTokenize(_ text: String) -> [String] {
        var words: [String] = [], current = ""
        for s in text.unicodeScalars {
            if isWhitespace(s) {
                if !current.isEmpty { words.append(current); current = "" }
            } else if isPunctuation(s) {
                if !current.isEmpty { words.append(current); current = "" }
                words.append(String(s))
            } else {
                current.unicodeScalars.append(s)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// Greedy longest-match-first; a word with any uncovered part is one unknown token.
    func wordPiece(_ word: String) -> [Int] {
        let chars = Array(word.unicodeScalars)
        if chars.count > maxCharactersPerWord { return [unknownID] }
        var pieces: [Int] = [], start = 0
        while start < chars.count {
            var end = chars.count, found: Int?
            while start < end {
                var piece = String(String.UnicodeScalarView(chars[start..<end]))
                if start > 0 { piece = prefix + piece }
                if let id = vocab[piece] { found = id; break }
                end -= 1
            }
            guard let id = found else { return [unknownID] }
            pieces.append(id)
            start = end
        }
        return pieces
    }

    /// The WordPiece decoder: pieces joined with spaces, continuation prefixes glued on, then the
    /// clean-up of spaces before punctuation and English contractions.
    public func decode(_ ids: [Int]) -> String {
        var text = ""
        for (i, id) in ids.enumerated() {
            let token = tokens[id] ?? ""
            if i > 0 && token.hasPrefix(prefix) {
                text += token.dropFirst(prefix.count)
            } else {
                text += (i > 0 ? " " : "") + token
            }
        }
        guard cleanupDecoding else { return text }
        for (from, to) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                           (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
            text = text.replacingOccurrences(of: from, with: to)
        }
        return text
    }

    // Character classes as the tokenizers library defines them.
    func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        s == "\t" || s == "\n" || s == "\r" || s.properties.isWhitespace
    }

    func isControl(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        switch s.properties.generalCategory {
        case .control, .format, .privateUse, .surrogate, .unassigned: return true
        default: return false
        }
    }

    func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII, (33...47).contains(s.value) || (58...64).contains(s.value) || (91...96).contains(s.value)
            || (123...126).contains(s.value) {
            return true
        }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    func isChinese(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        return (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v)
            || (0x2A700...0x2B73F).contains(v) || (0x2B740...0x2B81F).contains(v) || (0x2B920...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }
}
