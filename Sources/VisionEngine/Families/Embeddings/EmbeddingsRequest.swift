import Foundation
import VisionCore

/// How vectors travel: JSON numbers, or base64 little-endian float32 (about 4x smaller).
public enum EmbeddingEncoding: String, WireEnum {
    case float, base64
}

/// `POST /inference/embeddings`: images and/or texts to L2-normalised vectors in one space.
public struct EmbeddingsRequest: Decodable, Sendable {
    public let images: [ImageInput]
    public let texts: [String]
    public let encoding: EmbeddingEncoding
    public let selection: ModelSelection

    static let imagesField = RequestField<[ImageInput]>(name: "images", schema: .array(.ref("ImageInput"))) { c, key in
        try c.decodeOptional([ImageInput].self, forKey: key) ?? []
    }
    static let textsField = RequestField<[String]>(name: "texts", schema: .array(.string(), description:
        "Tokenized as the model's tokenizer does (start and end tokens)")) { c, key in
        try c.decodeOptional([String].self, forKey: key) ?? []
    }
    static let encodingField = RequestField.choice("encoding_format", default: EmbeddingEncoding.float, description:
        "float: JSON numbers; base64: little-endian float32, about 4x smaller")
    /// The request, declared once (the document's `EmbeddingsRequest`).
    static let shape = RequestShape([imagesField, textsField, encodingField] + ModelSelection.fields(),
                                    requiringAny: [["images", "texts"]])

    public init(images: [ImageInput] = [], texts: [String] = [], encoding: EmbeddingEncoding = .float, modelID: String? = nil) {
        self.images = images
        self.texts = texts
        self.encoding = encoding
        selection = ModelSelection(modelID: modelID)
    }

    public init(from decoder: any Decoder) throws {
        let fields = try Self.shape.fields(of: decoder)
        images = try fields.read(Self.imagesField)
        texts = try fields.read(Self.textsField)
        encoding = try fields.read(Self.encodingField)
        selection = try ModelSelection(from: fields)
    }

    func validate(limits: EmbeddingsLimits) throws {
        guard !images.isEmpty || !texts.isEmpty else { throw VisionError.invalidInput("give images, texts, or both") }
        guard texts.count <= limits.maxTexts else { throw VisionError.invalidInput("\(texts.count) texts; at most \(limits.maxTexts)") }
        for t in texts where t.count > limits.maxTextCharacters {
            throw VisionError.invalidInput("a text has \(t.count) characters; at most \(limits.maxTextCharacters)")
        }
    }
}

/// `POST /inference/zero-shot-image-classification`: the Hugging Face task form
/// (`{"inputs": image, "parameters": {"candidate_labels", "hypothesis_template"?}}`) or the batch
/// form (`{"images": [...], "candidate_labels": [...]}`).
public struct ZeroShotClassificationRequest: Decodable, Sendable {
    public let images: TaskImages
    public let candidateLabels: [String]
    public let hypothesisTemplate: String
    public let selection: ModelSelection

    static let labelsField = RequestField<[String]?>(name: "candidate_labels", schema: .oneOf(
        [.array(.string()), .string(description: "comma-separated")], description: "The labels to score")) { c, key in
        guard try c.contains(key) && !c.decodeNil(forKey: key) else { return nil }
        if let text = try? c.decode(String.self, forKey: key) {
            return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        return try c.decode([String].self, forKey: key)
    }
    static let templateField = RequestField<String>(name: "hypothesis_template", schema: .string(
        default: "This is a photo of {}.", description: "Each label is put in place of {} (the pipeline's default)")) { c, key in
        try c.decodeOptional(String.self, forKey: key) ?? "This is a photo of {}."
    }
    static let parameters = TaskImages.parametersObject([labelsField, templateField])
    /// The request, declared once (the document's `ZeroShotClassificationRequest`).
    static let shape = RequestShape([TaskImages.inputsField, TaskImages.imagesField, parameters] + parameters.shape.fields
                                    + ModelSelection.fields(),
                                    requiringAny: [["inputs", "images"], ["parameters", "candidate_labels"]],
                                    description: "`inputs` (one image) or `images`; the pipeline's arguments in "
                                    + "`parameters` or at the top level", required: [])

    public init(image: ImageInput, candidateLabels: [String], hypothesisTemplate: String = "This is a photo of {}.",
                modelID: String? = nil) {
        images = .single(image)
        self.candidateLabels = candidateLabels
        self.hypothesisTemplate = hypothesisTemplate
        selection = ModelSelection(modelID: modelID)
    }

    public init(from decoder: any Decoder) throws {
        let request = try Self.shape.fields(of: decoder)
        let (images, fields) = try TaskImages.decode(from: request, parameters: Self.parameters)
        self.images = images
        // Every field is read (a wrong type is named) before the missing one is.
        // The labels in `parameters`, else at the top level (a schema cannot say "in one of the two").
        let labels = try fields.read(Self.labelsField) ?? request.read(Self.labelsField)
        hypothesisTemplate = try fields.read(Self.templateField)
        selection = try ModelSelection(from: request)
        guard let labels else { throw VisionError.invalidInput("candidate_labels is required (in parameters or at the top level)") }
        candidateLabels = labels
    }

    /// The texts the pipeline scores: the template with each label.
    var sequences: [String] {
        candidateLabels.map { hypothesisTemplate.replacingOccurrences(of: "{}", with: $0) }
    }

    func validate(limits: EmbeddingsLimits) throws {
        guard !candidateLabels.isEmpty else { throw VisionError.invalidInput("candidate_labels must name at least one label") }
        guard candidateLabels.count <= limits.maxTexts else {
            throw VisionError.invalidInput("\(candidateLabels.count) candidate labels; at most \(limits.maxTexts)")
        }
        guard hypothesisTemplate.contains("{}") else {
            throw VisionError.invalidInput("hypothesis_template must contain {} where the label goes")
        }
        for s in sequences where s.count > limits.maxTextCharacters {
            throw VisionError.invalidInput("a label's text has \(s.count) characters; at most \(limits.maxTextCharacters)")
        }
    }
}

/// `POST /inference/image-feature-extraction`: the Hugging Face task form; the answer is each
/// image's embedding as the model's vision graph gives it (not normalised), `[[...]]` per image.
public struct ImageFeatureRequest: Decodable, Sendable {
    public let images: TaskImages
    public let selection: ModelSelection

    static let parameters = TaskImages.parametersObject([])
    /// The request, declared once (the document's `ImageFeatureRequest`).
    static let shape = TaskImages.shape(parameters, description: "`inputs` (one image) or `images`")

    public init(from decoder: any Decoder) throws {
        let request = try Self.shape.fields(of: decoder)
        images = try TaskImages.decode(from: request, parameters: Self.parameters).0
        selection = try ModelSelection(from: request)
    }
}

/// Limits on what an embeddings request may ask for.
public struct EmbeddingsLimits: Sendable {
    public var maxTexts = 256
    public var maxTextCharacters = 1000

    public init() {}
}
