import Foundation

/// CLIP's byte-level BPE tokenizer read from a Hugging Face `tokenizer.json`: NFC, whitespace
/// runs to one space, lower-case; words split as CLIP's pattern does (contractions, letter runs,
/// single digits, runs of other symbols); UTF-8 bytes mapped to printable characters; BPE merges
/// by rank with `</w>` on each word's last piece; `<|startoftext|> … <|endoftext|>` around it.
/// `encodePadded` pads with the end token to a fixed length, as `Sam3Processor` does.
public struct CLIPTokenizer: Sendable {
    let vocab: [String: Int]
    let merges: BPEMerges
    let endOfWord: String
    let byteCharacters: [Character]
    let unknownID: Int
    public let startID: Int
    public let endID: Int
    let addedTokens: AddedTokens

    public init(json data: Data) throws {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let model = root["model"] as? [String: Any], (model["type"] as? String) == "BPE",
              let vocab = model["vocab"] as? [String: Int] else {
            throw VisionError.modelNotFound("tokenizer.json is not a BPE tokenizer")
        }
        self.vocab = vocab
        merges = BPEMerges(model["merges"] as? [Any] ?? [])
        endOfWord = (model["end_of_word_suffix"] as? String) ?? "</w>"
        let added = AddedTokens.entries(in: root)
        addedTokens = AddedTokens(added)
        let ids = Dictionary(added, uniquingKeysWith: { a, _ in a }).merging(vocab, uniquingKeysWith: { a, _ in a })
        guard let start = ids["<|startoftext|>"], let end = ids["<|endoftext|>"] else {
            throw VisionError.modelNotFound("tokenizer.json has no <|startoftext|> / <|endoftext|> tokens")
        }
        startID = start
        endID = end
        unknownID = ((model["unk_token"] as? String).flatMap { ids[$0] }) ?? end
        byteCharacters = Self.byteToCharacter()
    }

    /// GPT-2's reversible map from bytes to printable characters.
    static func byteToCharacter() -> [Character] {
        var printable = Array(33...126) + Array(161...172) + Array(174...255)
        var chars = printable.map { Character(Unicode.Scalar(UInt32($0))!) }
        var extra = 0
        for b in 0..<256 where !printable.contains(b) {
            printable.append(b)
            chars.append(Character(Unicode.Scalar(UInt32(256 + extra))!))
            extra += 1
        }
        var table = [Character](repeating: " ", count: 256)
        for (b, c) in zip(printable, chars) { table[b] = c }
        return table
    }

    /// Ids with the start and end tokens.
    public func encode(_ text: String) -> [Int] {
        var ids = [startID]
        for segment in addedTokens.split(text) {
            switch segment {
            case .added(let id): ids.append(id)
            case .text(let chunk):
                for word in words(normalize(chunk)) { ids += bpe(word) }
            }
        }
        return ids + [endID]
    }

    /// Ids padded with the end token to `length`, and the attention mask; nil when the text needs
    /// more than `length` tokens.
    public func encodePadded(_ text: String, length: Int) -> (ids: [Int], mask: [Int])? {
        let ids = encode(text)
        guard ids.count <= length else { return nil }
        return (ids + [Int](repeating: endID, count: length - ids.count),
                [Int](repeating: 1, count: ids.count) + [Int](repeating: 0, count: length - ids.count))
    }

    /// NFC, whitespace runs → one space, lower-case.
    func normalize(_ text: String) -> String {
        var out = String.UnicodeScalarView(), inSpace = false
        for s in text.precomposedStringWithCanonicalMapping.unicodeScalars {
            if s.properties.isWhitespace {
                if !inSpace { out.append(" ") }
                inSpace = true
            } else {
                out.append(s)
                inSpace = false
            }
        }
        return String(out).lowercased()
    }

    /// CLIP's pattern: 's|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+ (whitespace dropped).
    func words(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var out: [String] = [], i = 0
        func isLetter(_ s: Unicode.Scalar) -> Bool {
            switch s.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: true
            default: false
            }
        }
        func isNumber(_ s: Unicode.Scalar) -> Bool {
            switch s.properties.generalCategory {
            case .decimalNumber, .letterNumber, .otherNumber: true
            default: false
            }
        }
        while i < scalars.count {
            let s = scalars[i]
            if s.properties.isWhitespace { i += 1; continue }
            if s == "'" {
                let rest = String(String.UnicodeScalarView(scalars[(i + 1)...].prefix(2)))
                if let c = ["s", "t", "re", "ve", "m", "ll", "d"].first(where: { rest.hasPrefix($0) }) {
                    out.append("'" + c); i += 1 + c.count; continue
                }
            }
            var j = i + 1
            if isLetter(s) {
                while j < scalars.count && isLetter(scalars[j]) { j += 1 }
            } else if isNumber(s) {
                // one digit per word
            } else {
                // A symbol run (apostrophes included: contractions are only tried at a word start).
                while j < scalars.count && !isLetter(scalars[j]) && !isNumber(scalars[j])
                    && !scalars[j].properties.isWhitespace { j += 1 }
            }
            out.append(String(String.UnicodeScalarView(scalars[i..<j])))
            i = j
        }
        return out
    }

    /// Byte-level characters of a word, then merges by rank until none applies.
    func bpe(_ word: String) -> [Int] {
        var pieces = Array(word.utf8).map { String(byteCharacters[Int($0)]) }
        guard !pieces.isEmpty else { return [] }
        pieces[pieces.count - 1] += endOfWord
        return merges.apply(pieces).map { vocab[$0] ?? unknownID }
    }
}
