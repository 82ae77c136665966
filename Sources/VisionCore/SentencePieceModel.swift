import Foundation

/// A SentencePiece unigram model read from its `spiece.model` (the ModelProto: pieces = 1 with
/// piece = 1, score = 2, type = 3; normalizer_spec = 3 with add_dummy_prefix = 3,
/// remove_extra_whitespaces = 4, escape_whitespaces = 5), encoding as the library's unigram
/// Viterbi does: NFKC, whitespace runs to one, a dummy prefix, spaces as "▁", the best-scoring
/// segmentation (an unknown character costs the lowest score minus 10; on ties the shorter piece
/// first), consecutive unknowns merged into one.
public struct SentencePieceModel: Sendable {
    public let pieces: [String]
    let scores: [Float]
    let ids: [String: Int]
    /// Ids of the pieces text may produce (normal and user-defined), by piece.
    let matchable: [String: Int]
    let maxPieceLength: Int
    public let unknownID: Int
    let unknownScore: Float
    let addDummyPrefix: Bool
    let removeExtraWhitespaces: Bool

    public init(data: Data) throws {
        var pieces: [String] = [], scores: [Float] = [], types: [Int] = []
        var dummyPrefix = true, removeExtra = true
        func bad() -> VisionError { .modelNotFound("spiece.model is not a SentencePiece model") }
        try data.withUnsafeBytes { raw in
            var model = ProtoReader(raw)
            do {
                while let (field, value) = try model.next() {
                    switch (field, value) {
                    case (1, .bytes(let entry)):
                        var reader = ProtoReader(entry)
                        var piece = "", score: Float = 0, type = 1
                        while let (f, v) = try reader.next() {
                            switch (f, v) {
                            case (1, .bytes(let text)): piece = String(decoding: text, as: UTF8.self)
                            case (2, .fixed32(let bits)): score = Float(bitPattern: bits)
                            case (3, .varint(let t)): type = Int(truncatingIfNeeded: t)
                            default: break
                            }
                        }
                        pieces.append(piece); scores.append(score); types.append(type)
                    case (3, .bytes(let spec)):
                        var reader = ProtoReader(spec)
                        while let (f, v) = try reader.next() {
                            if case .varint(let flag) = v {
                                if f == 3 { dummyPrefix = flag != 0 }
                                if f == 4 { removeExtra = flag != 0 }
                            }
                        }
                    default: break
                    }
                }
            } catch is ProtoReader.Malformed {
                throw bad()
            }
        }
        guard !pieces.isEmpty, let unknown = types.firstIndex(of: 2) else { throw bad() }
        self.pieces = pieces
        self.scores = scores
        ids = Dictionary(pieces.enumerated().map { ($1, $0) }) { a, _ in a }
        var matchable: [String: Int] = [:]
        for (i, piece) in pieces.enumerated() where (types[i] == 1 || types[i] == 4) && matchable[piece] == nil {
            matchable[piece] = i
        }
        self.matchable = matchable
        maxPieceLength = matchable.keys.map(\.unicodeScalars.count).max() ?? 1
        unknownID = unknown
        let normalScores = types.indices.filter { types[$0] == 1 }.map { scores[$0] }
        unknownScore = (normalScores.min() ?? 0) - 10
        addDummyPrefix = dummyPrefix
        removeExtraWhitespaces = removeExtra
    }

    /// The id of a piece (a control token such as `</s>`), if the model has it.
    public func id(of piece: String) -> Int? { ids[piece] }

    /// The normalised text as SentencePiece segments it: NFKC, whitespace runs collapsed and
    /// trimmed, a leading space, every space as "▁".
    func normalized(_ text: String) -> [Unicode.Scalar] {
        var t = text.precomposedStringWithCompatibilityMapping
        if removeExtraWhitespaces {
            t = t.split(whereSeparator: { $0 == " " }).joined(separator: " ")
        }
        if addDummyPrefix && !t.isEmpty { t = " " + t }
        return t.unicodeScalars.map { $0 == " " ? "\u{2581}" : $0 }
    }

    /// The piece ids of `text` (no special tokens added).
    public func encode(_ text: String) -> [Int] {
        let chars = normalized(text)
        let n = chars.count
        guard n > 0 else { return [] }
        // best[i]: the best score of a segmentation of chars[0..<i], and its last piece.
        var best = [Float](repeating: -.infinity, count: n + 1)
        var back = [(start: Int, id: Int)](repeating: (0, -1), count: n + 1)
        best[0] = 0
        for start in 0..<n where best[start] > -.infinity {
            var piece = String.UnicodeScalarView()
            var matchedOne = false
            for end in (start + 1)...min(n, start + maxPieceLength) {
                piece.append(chars[end - 1])
                guard let id = matchable[String(piece)] else { continue }
                if end == start + 1 { matchedOne = true }
                let score = best[start] + scores[id]
                if score > best[end] { best[end] = score; back[end] = (start, id) }
            }
            if !matchedOne {
                let score = best[start] + unknownScore
                if score > best[start + 1] { best[start + 1] = score; back[start + 1] = (start, unknownID) }
            }
        }
        var out: [Int] = []
        var i = n
        while i > 0 {
            out.append(back[i].id)
            i = back[i].start
        }
        out.reverse()
        // Consecutive unknown characters are one unknown piece.
        var merged: [Int] = []
        for id in out where !(id == unknownID && merged.last == unknownID) { merged.append(id) }
        return merged
    }
}
