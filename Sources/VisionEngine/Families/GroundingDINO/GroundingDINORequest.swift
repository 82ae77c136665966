import VisionCore

/// `POST /inference/grounding-dino`: the original's request.
public struct GroundingDINORequest: Decodable, Sendable {
    public let images: [ImageInput]
    /// Phrases to find; one string is one phrase.
    public let prompts: [String]
    public let boxThreshold: Float
    public let textThreshold: Float
    public let selection: ModelSelection

    enum CodingKeys: String, CodingKey { case images, prompts }

    static let boxThresholdField = RequestField.number("box_threshold", default: 0.4, minimum: 0, maximum: 1,
                                                       description: "A box is kept when its best phrase logit's sigmoid is above this")
    static let textThresholdField = RequestField.number("text_threshold", default: 0.3, minimum: 0, maximum: 1,
                                                        description: "Tokens above this name the box's label")

    public init(images: [ImageInput], prompts: [String], boxThreshold: Float = 0.4, textThreshold: Float = 0.3,
                modelID: String? = nil) {
        self.images = images
        self.prompts = prompts
        self.boxThreshold = boxThreshold
        self.textThreshold = textThreshold
        self.selection = ModelSelection(modelID: modelID)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        images = try c.decode([ImageInput].self, forKey: .images)
        if let one = try? c.decode(String.self, forKey: .prompts) {
            prompts = [one]
        } else {
            prompts = try c.decode([String].self, forKey: .prompts)
        }
        let fields = try decoder.container(keyedBy: FieldKey.self)
        boxThreshold = try Self.boxThresholdField.read(from: fields)
        textThreshold = try Self.textThresholdField.read(from: fields)
        selection = try ModelSelection(from: decoder)
    }
}

/// Limits on what a detection request may ask for.
public struct GroundingDINOLimits: Sendable {
    public var maxPrompts: Int
    public var maxPromptCharacters: Int

    public init(maxPrompts: Int = 64, maxPromptCharacters: Int = 256) {
        self.maxPrompts = maxPrompts
        self.maxPromptCharacters = maxPromptCharacters
    }
}

/// Per image `{scores, labels, boxes}`, the model and the time taken.
public struct GroundingDINOResponse: Sendable {
    public let results: [Detections]
    public let modelID: String
    public let processingTime: Double

    /// The response's one definition: its JSON and its OpenAPI schema.
    static let shape = JSONShape<GroundingDINOResponse>([
        .objects("results", Detections.shape, ref: "Detections") { $0.results },
        .string("model_id") { $0.modelID },
        .number("processing_time") { $0.processingTime },
    ])

    public func json() -> [UInt8] {
        Self.shape.json(self, capacity: 256 + results.reduce(0) { $0 + $1.scores.count * 96 })
    }
}

/// `POST /inference/zero-shot-object-detection`: the Hugging Face task form, as the Inference API
/// takes it (`{"inputs": image, "parameters": {"candidate_labels": [...], "threshold"?, "top_k"?}}`)
/// or as the pipeline is called (`{"image", "candidate_labels", ...}`).
public struct ZeroShotDetectionRequest: Decodable, Sendable {
    public let image: ImageInput
    public let candidateLabels: [String]
    public let threshold: Float
    public let topK: Int?
    public let selection: ModelSelection

    enum CodingKeys: String, CodingKey { case inputs, image, parameters }

    static let thresholdField = RequestField.number("threshold", default: 0.1, minimum: 0, maximum: 1)
    static let topKField = RequestField.integer("top_k", default: 0, minimum: 0, maximum: Int(Int32.max), description: "0: all")
    /// The pipeline's arguments, as the schema lists them.
    static var arguments: [(String, Schema)] {
        [("candidate_labels", .oneOf([.array(.string()), .string(description: "split on commas, as the pipeline does")])),
         thresholdField.property, topKField.property]
    }

    public init(image: ImageInput, candidateLabels: [String], threshold: Float = 0.1, topK: Int? = nil,
                modelID: String? = nil) {
        self.image = image
        self.candidateLabels = candidateLabels
        self.threshold = threshold
        self.topK = topK
        self.selection = ModelSelection(modelID: modelID)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // The pipeline's arguments: in `parameters` when given (an object, not silently ignored),
        // else at the top level.
        let fields = try c.contains(.parameters) ? c.nestedContainer(keyedBy: FieldKey.self, forKey: .parameters)
                                                 : decoder.container(keyedBy: FieldKey.self)
        let labels = FieldKey("candidate_labels")
        // Both are read, so a wrong `image` beside `inputs` is refused rather than ignored.
        let inputs = try c.decodeOptional(ImageInput.self, forKey: .inputs)
        let pipelineImage = try c.decodeOptional(ImageInput.self, forKey: .image)
        guard let image = inputs ?? pipelineImage else {
            throw VisionError.invalidRequest("give the image as 'inputs' (or 'image')")
        }
        self.image = image
        if let text = try? fields.decode(String.self, forKey: labels) {
            // The pipeline splits a string on commas.
            candidateLabels = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        } else {
            candidateLabels = try fields.decode([String].self, forKey: labels)
        }
        threshold = try Self.thresholdField.read(from: fields)
        topK = try Self.topKField.read(from: fields)
        selection = try ModelSelection(from: decoder)
    }
}

public struct ZeroShotDetectionResponse: Sendable {
    public let detections: [PipelineDetection]

    /// A bare JSON array, as the pipeline returns.
    public func json() -> [UInt8] { PipelineDetection.json(detections) }
}
