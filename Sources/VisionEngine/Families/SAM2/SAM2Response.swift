import VisionCore

/// One object's answer: its masks (already encoded), their predicted IoU and the best one.
public struct SAM2ObjectResult: Sendable {
    public let objectIndex: Int
    /// Predicted IoU of each returned mask, in the model's order.
    public let scores: [Float]
    /// Index (in `scores`) of the mask with the highest predicted IoU.
    public let bestMask: Int
    /// The decoder's object-presence logit (> 0: the object is there).
    public let objectScoreLogit: Float
    public let masks: [BinaryMask]
    /// JSON of the masks field's value.
    public let encodedMasks: [UInt8]
}

/// One image's answer and where its time went.
public struct SAM2ImageResult: Sendable {
    public let objects: [SAM2ObjectResult]
    /// Whether the image embedding came from the cache (the encoder did not run).
    public let embeddingCached: Bool
    /// Seconds in the vision encoder (0 when cached) and in the prompt decoder.
    public let encoderTime: Double
    public let decoderTime: Double
    public let width: Int
    public let height: Int
}

/// `results[image]`: each image's objects, the model and the time taken.
public struct SAM2Response: Sendable {
    public let results: [SAM2ImageResult]
    public let format: MaskFormat
    public let modelID: String
    public let processingTime: Double

    struct Item: Sendable {
        let result: SAM2ObjectResult
        let format: MaskFormat
    }

    /// One object's answer, declared once (the document's `SAM2ObjectResult`).
    static let objectShape = JSONShape<Item>([
        .integer("object_index") { $0.result.objectIndex },
        .numbers("scores", description: "Predicted IoU of each mask") { $0.result.scores },
        .integer("best_mask", description: "Index of the mask with the highest predicted IoU") { $0.result.bestMask },
        .float("object_score_logit", description: "Object presence logit (> 0: present)") { $0.result.objectScoreLogit },
    ] + MaskFormat.schemas.map { format, schema in
        .custom(format.field, schema, present: { $0.format == format }) { item, w in w.raw(json: item.result.encodedMasks) }
    })

    /// One image's answer (the document's `SAM2ImageResult`).
    static let imageShape = JSONShape<(SAM2ImageResult, MaskFormat)>([
        .custom("objects", .array(.ref("SAM2ObjectResult"))) { r, w in
            objectShape.writeList(r.0.objects.map { Item(result: $0, format: r.1) }, to: &w)
        },
        .boolean("embedding_cached", description: "The image embedding came from the cache: only the decoder ran") { $0.0.embeddingCached },
        .number("encoder_time", description: "Seconds in the vision encoder (0 when cached)") { $0.0.encoderTime },
        .number("decoder_time", description: "Seconds in the prompt encoder and mask decoder") { $0.0.decoderTime },
    ])

    /// The response's one definition: its JSON and its OpenAPI schema.
    static let shape = JSONShape<SAM2Response>([
        .custom("results", .array(.ref("SAM2ImageResult"), description: "results[image]")) { r, w in
            imageShape.writeList(r.results.map { ($0, r.format) }, to: &w)
        },
        .string("model_id") { $0.modelID },
        .number("processing_time") { $0.processingTime },
    ])

    public func json() -> [UInt8] {
        Self.shape.json(self, capacity: 1024 + results.flatMap(\.objects).reduce(0) { $0 + $1.encodedMasks.count + 256 })
    }

    /// Image `i`'s label map: 0 background, k the k-th object's best mask (a later object drawn
    /// over an earlier). At most 255 objects.
    public func labelMap(image i: Int) -> (pixels: [UInt8], width: Int, height: Int) {
        let r = results[i]
        var pixels = [UInt8](repeating: 0, count: r.width * r.height)
        for (k, object) in r.objects.prefix(255).enumerated() {
            guard object.bestMask < object.masks.count, object.masks[object.bestMask].pixels.count == pixels.count else { continue }
            for p in 0..<pixels.count where object.masks[object.bestMask].pixels[p] != 0 { pixels[p] = UInt8(k + 1) }
        }
        return (pixels, r.width, r.height)
    }
}
