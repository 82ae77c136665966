import VisionCore

/// Image and text vectors in one space, and how the model scores their similarity.
public struct EmbeddingsResponse: Sendable {
    public let imageEmbeddings: [[Float]]
    public let textEmbeddings: [[Float]]
    public let encoding: EmbeddingEncoding
    public let logitScale: Float?
    public let logitBias: Float?
    public let modelID: String
    public let processingTime: Double

    static func vectors(_ rows: [[Float]], _ encoding: EmbeddingEncoding, _ w: inout JSONWriter) {
        w.raw("[")
        for (i, row) in rows.enumerated() {
            if i > 0 { w.raw(",") }
            switch encoding {
            case .float: w.floats(row)
            case .base64: w.base64(row.withUnsafeBytes { Array($0) })
            }
        }
        w.raw("]")
    }

    static let vectorList = Schema.array(.oneOf([.array(.number()), .string(description: "base64 little-endian float32")]),
                                         description: "One L2-normalised vector per input, in order")

    /// The response's one definition: its JSON and its OpenAPI schema.
    static let shape = JSONShape<EmbeddingsResponse>([
        .custom("image_embeddings", vectorList) { r, w in vectors(r.imageEmbeddings, r.encoding, &w) },
        .custom("text_embeddings", vectorList) { r, w in vectors(r.textEmbeddings, r.encoding, &w) },
        .integer("dimensions") { ($0.imageEmbeddings.first ?? $0.textEmbeddings.first)?.count ?? 0 },
        .optionalNumber("logit_scale", description: "exp(logit_scale): similarity logits are scale × cosine (+ bias)") {
            $0.logitScale.map(Double.init)
        },
        .optionalNumber("logit_bias", description: "SigLIP's bias (null for CLIP)") { $0.logitBias.map(Double.init) },
        .string("encoding_format", enum: EmbeddingEncoding.wireValues) { $0.encoding.rawValue },
        .string("model_id") { $0.modelID },
        .number("processing_time") { $0.processingTime },
    ])

    public func json() -> [UInt8] {
        let count = (imageEmbeddings + textEmbeddings).reduce(0) { $0 + $1.count }
        return Self.shape.json(self, capacity: 512 + count * (encoding == .float ? 14 : 6))
    }
}

/// Each image's embedding as the pipeline's `image-feature-extraction` returns it: `[[...]]`
/// (one row) per image; a bare `[[...]]` for the `inputs` form.
public struct ImageFeatureResponse: Sendable {
    public let features: [[Float]]
    public let modelID: String
    public let processingTime: Double
    public let single: Bool

    static let shape = JSONShape<ImageFeatureResponse>([
        .custom("results", .array(.array(.array(.number())), description: "results[image] = [[...]]")) { r, w in
            w.raw("[")
            for (i, row) in r.features.enumerated() {
                if i > 0 { w.raw(",") }
                w.raw("["); w.floats(row); w.raw("]")
            }
            w.raw("]")
        },
        .string("model_id") { $0.modelID },
        .number("processing_time") { $0.processingTime },
    ], description: "For `images`: every image's features")

    static var schema: Schema {
        .oneOf([.array(.array(.number()), description: "For `inputs`: [[...]], the pipeline's answer"), shape.schema])
    }

    public func json() -> [UInt8] {
        var w = JSONWriter(capacity: 256 + features.reduce(0) { $0 + $1.count * 14 })
        if single, let first = features.first {
            w.raw("["); w.floats(first); w.raw("]")
        } else {
            Self.shape.write(self, to: &w)
        }
        return w.bytes
    }
}
