import VisionCore

/// `POST /inference/object-detection`: `{"inputs": image, "parameters": {"threshold"?}}` or
/// `{"images": [...], "threshold"?}`.
public struct ObjectDetectionRequest: Decodable, Sendable {
    public let images: TaskImages
    /// Detections scoring above this are kept (the pipeline's default 0.5).
    public let threshold: Float
    public let selection: ModelSelection

    enum Parameters: String, CodingKey { case threshold }

    public init(from decoder: any Decoder) throws {
        let (images, fields) = try TaskImages.decode(from: decoder, parameters: Parameters.self)
        self.images = images
        threshold = try fields.decodeIfPresent(Float.self, forKey: .threshold) ?? 0.5
        selection = try ModelSelection(from: decoder)
    }

    func validate() throws {
        guard (0...1).contains(threshold) else { throw VisionError.invalidInput("threshold must be between 0 and 1") }
    }
}

public struct ObjectDetectionResponse: Sendable {
    /// Per image, in query order, as `post_process_object_detection` gives them.
    public let results: [Detections]
    public let modelID: String
    public let processingTime: Double
    /// The `inputs` form: the pipeline's list of `{score, label, box}` with integer corners.
    public let single: Bool

    public func json() -> [UInt8] {
        var w = JSONWriter(capacity: 128 + results.reduce(0) { $0 + $1.scores.count * 96 })
        if single, let r = results.first {
            w.raw("[")
            for i in r.scores.indices {
                if i > 0 { w.raw(",") }
                w.raw("{"); w.key("score"); w.number(r.scores[i]); w.raw(","); w.key("label"); w.string(r.labels[i])
                w.raw(","); w.key("box"); w.raw("{")
                for (k, name) in ["xmin", "ymin", "xmax", "ymax"].enumerated() {
                    if k > 0 { w.raw(",") }
                    // torch's .int(): truncation toward zero.
                    w.key(name); w.number(Int(r.boxes[i][k].rounded(.towardZero)))
                }
                w.raw("}}")
            }
            w.raw("]")
            return w.bytes
        }
        w.raw("{"); w.key("results"); w.raw("[")
        for (i, r) in results.enumerated() {
            if i > 0 { w.raw(",") }
            r.write(to: &w)
        }
        w.raw("],"); w.key("model_id"); w.string(modelID); w.raw(",")
        w.key("processing_time"); w.number(processingTime); w.raw("}")
        return w.bytes
    }
}
