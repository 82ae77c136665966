import VisionCore

/// `POST /inference/grounding-dino`: the original's request.
public struct GroundingDINORequest: Decodable, Sendable {
    public let images: [ImageInput]
    /// Phrases to find; one string is one phrase.
    public let prompts: [String]
    public let boxThreshold: Float
    public let textThreshold: Float
    public let selection: ModelSelection

    static let boxThresholdField = RequestField.number("box_threshold", default: 0.4, minimum: 0, maximum: 1,
                                                       description: "A box is kept when its best phrase logit's sigmoid is above this")
    static let textThresholdField = RequestField.number("text_threshold", default: 0.3, minimum: 0, maximum: 1,
                                                        description: "Tokens above this name the box's label")
    static let promptsField = RequestField<[String]>(name: "prompts", schema: .oneOf(
        [.array(.string(), minItems: 1), .string(description: "one phrase")],
        description: "Phrases; each lower-cased, a trailing '.' dropped, '.' appended, joined"), required: true) { c, key in
        if let one = try? c.decode(String.self, forKey: key) { return [one] }
        return try c.decode([String].self, forKey: key)
    }
    /// The request, declared once (the document's `GroundingDINORequest`).
    static let shape = RequestShape([ImageInput.listField, promptsField, boxThresholdField, textThresholdField]
                                    + ModelSelection.fields())

    public init(images: [ImageInput], prompts: [String], boxThreshold: Float = 0.4, textThreshold: Float = 0.3,
                modelID: String? = nil) {
        self.images = images
        self.prompts = prompts
        self.boxThreshold = boxThreshold
        self.textThreshold = textThreshold
        self.selection = ModelSelection(modelID: modelID)
    }

    public init(from decoder: any Decoder) throws {
        let fields = try Self.shape.fields(of: decoder)
        images = try fields.read(ImageInput.listField)
        prompts = try fields.read(Self.promptsField)
        boxThreshold = try fields.read(Self.boxThresholdField)
        textThreshold = try fields.read(Self.textThresholdField)
        selection = try ModelSelection(from: fields)
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

    static let thresholdField = RequestField.number("threshold", default: 0.1, minimum: 0, maximum: 1)
    static let topKField = RequestField.integer("top_k", default: 0, minimum: 0, maximum: Int(Int32.max), description: "0: all")
    static let labelsField = RequestField<[String]>(name: "candidate_labels", schema: .oneOf(
        [.array(.string()), .string(description: "split on commas, as the pipeline does")]), required: true) { c, key in
        // The pipeline splits a string on commas.
        if let text = try? c.decode(String.self, forKey: key) {
            return text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        return try c.decode([String].self, forKey: key)
    }
    static let inputsField = RequestField<ImageInput?>.ifPresent("inputs", .ref("ImageInput"))
    static let imageField = RequestField<ImageInput?>.ifPresent("image", .ref("ImageInput"))
    /// The pipeline's arguments: in `parameters`, or at the top level.
    static let arguments: [any DeclaredRequestField] = [labelsField, thresholdField, topKField]
    static let parameters = RequestShape(arguments).nested("parameters")
    /// The request, declared once (the document's `ZeroShotDetectionRequest`).
    static let shape = RequestShape([inputsField, imageField, parameters] + arguments + ModelSelection.fields(),
                                    requiringAny: [["inputs", "image"], ["parameters", "candidate_labels"]],
                                    description: "Hugging Face task form; the pipeline's arguments also accepted at the top level",
                                    required: [])

    public init(image: ImageInput, candidateLabels: [String], threshold: Float = 0.1, topK: Int? = nil,
                modelID: String? = nil) {
        self.image = image
        self.candidateLabels = candidateLabels
        self.threshold = threshold
        self.topK = topK
        self.selection = ModelSelection(modelID: modelID)
    }

    public init(from decoder: any Decoder) throws {
        let request = try Self.shape.fields(of: decoder)
        // The pipeline's arguments: in `parameters` when given (an object, not silently ignored),
        // else at the top level.
        let fields = try request.nestedOrSelf(Self.parameters)
        // Both are read, so a wrong `image` beside `inputs` is refused rather than ignored.
        let inputs = try request.read(Self.inputsField)
        let pipelineImage = try request.read(Self.imageField)
        guard let image = inputs ?? pipelineImage else {
            throw VisionError.invalidRequest("give the image as 'inputs' (or 'image')")
        }
        self.image = image
        candidateLabels = try fields.read(Self.labelsField)
        threshold = try fields.read(Self.thresholdField)
        topK = try fields.read(Self.topKField)
        selection = try ModelSelection(from: request)
    }
}

public struct ZeroShotDetectionResponse: Sendable {
    public let detections: [PipelineDetection]

    /// A bare JSON array, as the pipeline returns.
    public func json() -> [UInt8] { PipelineDetection.json(detections) }
}
