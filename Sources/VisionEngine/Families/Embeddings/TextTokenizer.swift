import Foundation
import VisionCore

/// A dual encoder's tokenizer as its zero-shot pipeline runs it: CLIP's byte-level BPE
/// (`tokenizer.json`); SigLIP's SentencePiece model (`spiece.model`) behind transformers'
/// `SiglipTokenizer` text canonicalisation; or SigLIP 2's Gemma tokenizer (`tokenizer.json` BPE
/// with byte fallback, lower-cased first for `siglip2` models as `Siglip2Tokenizer` does); the
/// SigLIP ones padded to the model's length on the side `tokenizer_config.json` names.
enum TextTokenizer: Sendable {
    case clip(CLIPTokenizer)
    /// The SentencePiece model, the end token appended, the pad token and the padded length.
    case siglip(SentencePieceModel, end: Int, pad: Int, length: Int)
    /// The tokenizer.json BPE (its template adds the special tokens), the pad token, the padded
    /// length and whether padding goes on the left.
    case gemma(SentencePieceBPETokenizer, pad: Int, length: Int, padsLeft: Bool)

    /// The repository's tokenizer for `kind`, or nil when it has none this server reads.
    /// `lowercase`: the model's texts are lower-cased before the tokenizer file's own normalizer.
    static func load(_ snapshot: ModelSnapshot, kind: ContrastiveKind, length: Int, lowercase: Bool = false) throws -> TextTokenizer? {
        switch kind {
        case .clip:
            guard let data = FileManager.default.contents(atPath: snapshot.path("tokenizer.json")) else { return nil }
            return .clip(try CLIPTokenizer(json: data))
        case .siglip:
            let config = ModelFiles.jsonObject("tokenizer_config.json", in: snapshot)
            guard let data = FileManager.default.contents(atPath: snapshot.path("spiece.model")) else {
                // SigLIP 2's Gemma tokenizer. A tokenizer.json of another kind (a unigram
                // conversion of SigLIP's) leaves the texts unserved, named at request time.
                guard let json = FileManager.default.contents(atPath: snapshot.path("tokenizer.json")),
                      let tokenizer = try? SentencePieceBPETokenizer(json: json, config: config, lowercase: lowercase) else {
                    return nil
                }
                let padName = AddedTokens.name("pad_token", in: config) ?? "<pad>"
                guard let pad = tokenizer.id(of: padName) else {
                    throw VisionError.modelNotFound("'\(snapshot.reference.repoID)' tokenizer.json has no pad token \(padName)")
                }
                return .gemma(tokenizer, pad: pad, length: length, padsLeft: (config["padding_side"] as? String) == "left")
            }
            let model = try SentencePieceModel(data: data)
            func token(_ key: String, _ fallback: String) -> Int? {
                model.id(of: AddedTokens.name(key, in: config) ?? fallback)
            }
            guard let end = token("eos_token", "</s>"), let pad = token("pad_token", "</s>") else {
                throw VisionError.modelNotFound("'\(snapshot.reference.repoID)' spiece.model has no end or pad token")
            }
            return .siglip(model, end: end, pad: pad, length: length)
        }
    }

    /// A text's ids: CLIP's with its start and end tokens; SigLIP's canonicalised, truncated to
    /// leave room for the end token (the pipeline's `truncation=True`), the end token appended.
    func encode(_ text: String) -> [Int] {
        switch self {
        case .clip(let tokenizer):
            return tokenizer.encode(text)
        case .siglip(let model, let end, _, let length):
            return Array(model.encode(Self.canonical(text)).prefix(length - 1)) + [end]
        case .gemma(let tokenizer, _, let length, _):
            let room = max(0, length - tokenizer.prefix.count - tokenizer.suffix.count)
            return tokenizer.prefix + tokenizer.encodeWithoutSpecials(text).prefix(room) + tokenizer.suffix
        }
    }

    /// Rows are padded to this length (SigLIP pools at the last position), or to the longest (nil).
    var paddedLength: Int? {
        switch self {
        case .clip: nil
        case .siglip(_, _, _, let length), .gemma(_, _, let length, _): length
        }
    }

    var padID: Int {
        switch self {
        case .clip(let tokenizer): tokenizer.endID
        case .siglip(_, _, let pad, _), .gemma(_, let pad, _, _): pad
        }
    }

    /// Whether rows are padded on the left (tokenizer_config.json's padding_side).
    var padsLeft: Bool {
        if case .gemma(_, _, _, let left) = self { return left }
        return false
    }

    /// `SiglipTokenizer.canonicalize_text`: lower case, ASCII punctuation removed, whitespace runs
    /// to one space, trimmed.
    static func canonical(_ text: String) -> String {
        let punctuation = Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".unicodeScalars)
        let kept = String(String.UnicodeScalarView(text.lowercased().unicodeScalars.filter { !punctuation.contains($0) }))
        return kept.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}
