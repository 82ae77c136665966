import VisionCore

/// How logits become scores, as the pipeline's `function_to_apply`.
public enum ClassificationFunction: String, WireEnum {
    case softmax, sigmoid, none
}

/// `POST /inference/image-classification`: `{"inputs": image, "parameters": {"top_k"?, "function_to_apply"?}}`
/// or `{"images": [...], "top_k"?, "function_to_apply"?}`.
public struct ImageClassificationRequest: Decodable, Sendable {
    public let images: TaskImages
    /// At most this many labels per image (the pipeline's default 5; capped at the label count).
    public let topK: Int
    /// nil: the model config's choice, as the pipeline makes it.
    public let function: ClassificationFunction?
    public let selection: ModelSelection

    static let topKField = RequestField.integer("top_k", default: 5, minimum: 1, maximum: Int(Int32.max),
                                                description: "Capped at the number of labels")
    static let functionField = RequestField<ClassificationFunction>.optional(
        "function_to_apply", description: "Default: the model config's (softmax for several labels)")
    static let parameters = TaskImages.parametersObject([topKField, functionField])
    /// The request, declared once (the document's `ImageClassificationRequest`).
    static let shape = TaskImages.shape(parameters, description: "`inputs` (one image) or `images`")

    public init(from decoder: any Decoder) throws {
        let request = try Self.shape.fields(of: decoder)
        let (images, fields) = try TaskImages.decode(from: request, parameters: Self.parameters)
        self.images = images
        topK = try fields.read(Self.topKField)
        function = try fields.read(Self.functionField)
        selection = try ModelSelection(from: request)
    }
}

/// One label and its score.
public struct Classification: Sendable, Equatable {
    public let label: String
    public let score: Float

    /// `{"label", "score"}`.
    static let shape = JSONShape<Classification>([
        .string("label") { $0.label },
        .float("score") { $0.score },
    ])
}

/// The labels of every image, best first.
public struct ImageClassificationResponse: Sendable {
    public let results: [[Classification]]
    public let modelID: String
    public let processingTime: Double
    /// The `inputs` form: a bare list for the one image, as the pipeline returns it.
    public let single: Bool

    /// The `images` form's one definition (the `inputs` form is a list of `Classification`).
    static let shape = JSONShape<ImageClassificationResponse>([
        .custom("results", .array(.array(.ref("Classification")))) { r, w in
            w.raw("[")
            for (i, labels) in r.results.enumerated() {
                if i > 0 { w.raw(",") }
                Classification.shape.writeList(labels, to: &w)
            }
            w.raw("]")
        },
        .string("model_id") { $0.modelID },
        .number("processing_time") { $0.processingTime },
    ], description: "For `images`: the labels of every image")

    static var schema: Schema {
        .oneOf([.array(.ref("Classification"), description: "For `inputs`: the labels, best first"), shape.schema])
    }

    public func json() -> [UInt8] {
        var w = JSONWriter(capacity: 128 + results.reduce(0) { $0 + $1.count * 48 })
        if single, let first = results.first {
            Classification.shape.writeList(first, to: &w)
        } else {
            Self.shape.write(self, to: &w)
        }
        return w.bytes
    }
}
