import VisionCore

/// `POST /inference/object-detection`: `{"inputs": image, "parameters": {"threshold"?}}` or
/// `{"images": [...], "threshold"?}`.
public struct ObjectDetectionRequest: Decodable, Sendable {
    public let images: TaskImages
    /// Detections scoring above this are kept (the pipeline's default 0.5).
    public let threshold: Float
    public let selection: ModelSelection

    static let thresholdField = RequestField.number("threshold", default: 0.5, minimum: 0, maximum: 1)
    static let parameters = TaskImages.parametersObject([thresholdField])
    /// The request, declared once (the document's `ObjectDetectionRequest`).
    static let shape = TaskImages.shape(parameters, description: "`inputs` (one image) or `images`")

    public init(from decoder: any Decoder) throws {
        let request = try Self.shape.fields(of: decoder)
        let (images, fields) = try TaskImages.decode(from: request, parameters: Self.parameters)
        self.images = images
        threshold = try fields.read(Self.thresholdField)
        selection = try ModelSelection(from: request)
    }
}

public struct ObjectDetectionResponse: Sendable {
    /// Per image, in query order, as `post_process_object_detection` gives them.
    public let results: [Detections]
    public let modelID: String
    public let processingTime: Double
    /// The `inputs` form: the pipeline's list of `{score, label, box}` with integer corners.
    public let single: Bool

    /// The `images` form's one definition (the `inputs` form is a list of `PipelineDetection`).
    static let shape = JSONShape<ObjectDetectionResponse>([
        .objects("results", Detections.shape, ref: "Detections") { $0.results },
        .string("model_id") { $0.modelID },
        .number("processing_time") { $0.processingTime },
    ], description: "For `images`: post_process_object_detection per image")

    static var schema: Schema {
        .oneOf([.array(.ref("PipelineDetection"), description: "For `inputs`: the pipeline's list, integer corners"),
                shape.schema])
    }

    public func json() -> [UInt8] {
        if single, let r = results.first {
            return PipelineDetection.json(r.scores.indices.map {
                PipelineDetection(label: r.labels[$0], score: r.scores[$0], corners: r.boxes[$0])
            })
        }
        return Self.shape.json(self, capacity: 128 + results.reduce(0) { $0 + $1.scores.count * 96 })
    }
}
