import Foundation
import VisionCore

/// A dual encoder's tokenizer as its zero-shot pipeline runs it: CLIP's byte-level BPE
/// (`tokenizer.json`), or SigLIP's SentencePiece model (`spiece.model`) behind transformers'
/// `SiglipTokenizer` text canonicalisation, padded to the model's length.
enum TextTokenizer: Sendable {
    case clip(CLIPTokenizer)
    /// The SentencePiece model, the end token appended, the pad token and the padded length.
    case siglip(SentencePieceModel, end: Int, pad: Int, length: Int)

    /// The repository's tokenizer for `kind`, or nil when it has none this server reads.
    static func load(_ snapshot: ModelSnapshot, kind: ContrastiveKind, length: Int) throws -> TextTokenizer? {
        switch kind {
        case .clip:
            guard let data = FileManager.default.contents(atPath: snapshot.path("tokenizer.json")) else { return nil }
            return .clip(try CLIPTokenizer(json: data))
        case .siglip:
            guard let data = FileManager.default.contents(atPath: snapshot.path("spiece.model")) else { return nil }
            let model = try SentencePieceModel(data: data)
            let config = ModelFiles.jsonObject("tokenizer_config.json", in: snapshot)
            func token(_ key: String, _ fallback: String) -> Int? {
                model.id(of: (config[key] as? String) ?? ((config[key] as? [String: Any])?["content"] as? String) ?? fallback)
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
        }
    }

    /// Rows are padded to this length (SigLIP pools at the last position), or to the longest (nil).
    var paddedLength: Int? {
        if case .siglip(_, _, _, let length) = self { return length }
        return nil
    }

    var padID: Int {
        switch self {
        case .clip(let tokenizer): tokenizer.endID
        case .siglip(_, _, let pad, _): pad
        }
    }

    /// `SiglipTokenizer.canonicalize_text`: lower case, ASCII punctuation removed, whitespace runs
    /// to one space, trimmed.
    static func canonical(_ text: String) -> String {
        let punctuation = Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".unicodeScalars)
        let kept = String(String.UnicodeScalarView(text.lowercased().unicodeScalars.filter { !punctuation.contains($0) }))
        return kept.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}
