import VisionCore

/// `resolve_overlaps`: off, on (equal weights), or one weight per prompt.
public enum OverlapResolution: Decodable, Sendable, Equatable {
    case off
    case weights([Float]?)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let flag = try? c.decode(Bool.self) {
            self = flag ? .weights(nil) : .off
        } else {
            // Read wide: a value beyond float32 becomes infinite and is refused by name (400), not
            // as unreadable JSON.
            self = .weights(try c.decode([Double].self).map { Float($0) })
        }
    }
}

/// Visual exemplars for one image: boxes in its pixels (x1, y1, x2, y2), each positive (1) or
/// negative (0), as `Sam3Processor(input_boxes=..., input_boxes_labels=...)` takes them.
public struct BoxExemplars: Sendable, Equatable {
    public let boxes: [[Float]]
    public let labels: [Int]

    public init(boxes: [[Float]], labels: [Int]? = nil) {
        self.boxes = boxes
        self.labels = labels ?? [Int](repeating: 1, count: boxes.count)
    }

    /// (cx, cy, w, h) relative to the image, in float32 as Sam3Processor computes them: x / width,
    /// y / height, then box_xyxy_to_cxcywh.
    public func normalized(width: Int, height: Int) -> [Float] {
        boxes.flatMap { b -> [Float] in
            let x0 = b[0] / Float(width), y0 = b[1] / Float(height), x1 = b[2] / Float(width), y1 = b[3] / Float(height)
            return [(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0]
        }
    }
}

/// `POST /inference/sam3`: the original's request, plus box exemplars.
public struct SAM3Request: Decodable, Sendable {
    /// The text transformers' processor prompts with when an image has boxes and no text.
    public static let visualPrompt = "visual"

    public let images: [ImageInput]
    /// One prompt list per image (a single list is shared by every image).
    public let prompts: [[String]]
    public let sharedPrompts: Bool
    /// Whether the request named prompts (without them every image needs box exemplars).
    public let promptsGiven: Bool
    /// Box exemplars per image (nil: none), or one set for every image.
    public let exemplars: [BoxExemplars?]
    public let sharedExemplars: Bool
    public let threshold: Float
    public let maskThreshold: Float
    public let resolveOverlaps: OverlapResolution
    public let outputFormat: MaskFormat
    public let selection: ModelSelection

    /// A list shared by every image, or one per image.
    enum PerImage<Shared: Sendable, Each: Sendable>: Sendable {
        case shared(Shared)
        case perImage([Each])
    }

    // The request's fields, declared once: decoding, bounds and the document's SAM3Request.
    static let promptsField = RequestField<PerImage<[String], [String]>?>(name: "prompts", schema: .oneOf(
        [.array(.string()), .array(.array(.string())), .string(description: "one prompt")],
        description: "One list shared by every image, or one list per image")) { c, key in
        guard c.contains(key) else { return nil }
        if let shared = try? c.decode([String].self, forKey: key) { return .shared(shared) }
        if let one = try? c.decode(String.self, forKey: key) { return .shared([one]) }
        return .perImage(try c.decode([[String]].self, forKey: key))
    }
    static let thresholdField = RequestField.number("threshold", default: 0.5, minimum: 0, maximum: 1,
                                                    description: "Instances scoring above this are kept")
    static let maskThresholdField = RequestField.number("mask_threshold", default: 0.5, minimum: 0, maximum: 1,
                                                        description: "Mask probability above which a pixel is in")
    static let resolveOverlapsField = RequestField<OverlapResolution>(name: "resolve_overlaps", schema: .oneOf(
        [.boolean(), .array(.number())], description:
        "false, true, or one weight per prompt: each pixel goes to the instance with the highest score × weight")) { c, key in
        try c.decodeOptional(OverlapResolution.self, forKey: key) ?? .off
    }
    static let outputFormatField = RequestField.choice("output_format", default: MaskFormat.rle)
    static let boxesField = RequestField<PerImage<[[Float]], [[Float]]?>?>(name: "boxes", schema: .oneOf(
        [.array(.array(.number())), .array(.array(.array(.number())))], description:
        "Visual exemplars in image pixels [[x1, y1, x2, y2], ...]: one set for every image, or one set per "
        + "image (null for none), as Sam3Processor's input_boxes. With prompts, each prompt is combined with "
        + "the image's boxes; without, the image's one entry is the prompt \"visual\" (the processor's default)")) { c, key in
        guard try c.contains(key) && !c.decodeNil(forKey: key) else { return nil }
        // Read wide: a coordinate beyond float32 becomes infinite and is refused by name (400).
        func narrow(_ boxes: [[Double]]) -> [[Float]] { boxes.map { $0.map { Float($0) } } }
        if let shared = try? c.decode([[Double]].self, forKey: key) { return .shared(narrow(shared)) }
        return .perImage(try c.decode([[[Double]]?].self, forKey: key).map { $0.map(narrow) })
    }
    static let boxLabelsField = RequestField<PerImage<[Int], [Int]?>?>(name: "box_labels", schema: .oneOf(
        [.array(.integer()), .array(.array(.integer()))], description:
        "1 (positive, the default) or 0 (negative) per box, shaped as boxes")) { c, key in
        if let shared = try? c.decodeOptional([Int].self, forKey: key) { return .shared(shared) }
        return try c.decodeOptional([[Int]?].self, forKey: key).map { .perImage($0) }
    }
    static let shape = RequestShape([ImageInput.listField, promptsField, thresholdField, maskThresholdField,
                                     resolveOverlapsField, outputFormatField, boxesField, boxLabelsField]
                                    + ModelSelection.fields(), requiringAny: [["prompts", "boxes"]])

    public init(images: [ImageInput], prompts: [String], threshold: Float = 0.5, maskThreshold: Float = 0.5,
                resolveOverlaps: OverlapResolution = .off, outputFormat: MaskFormat = .rle, modelID: String? = nil,
                exemplars: BoxExemplars? = nil) {
        self.images = images
        let visualOnly = prompts.isEmpty && exemplars != nil
        self.promptsGiven = !visualOnly
        self.prompts = [visualOnly ? [Self.visualPrompt] : prompts]
        self.sharedPrompts = true
        self.exemplars = [exemplars]
        self.sharedExemplars = true
        self.threshold = threshold
        self.maskThreshold = maskThreshold
        self.resolveOverlaps = resolveOverlaps
        self.outputFormat = outputFormat
        self.selection = ModelSelection(modelID: modelID)
    }

    public init(from decoder: any Decoder) throws {
        let fields = try Self.shape.fields(of: decoder)
        images = try fields.read(ImageInput.listField)
        // Boxes: one set for every image ([[x1, y1, x2, y2], ...]) or one per image (null for none);
        // box_labels shaped alike.
        let labels = try fields.read(Self.boxLabelsField)
        switch try fields.read(Self.boxesField) {
        case nil:
            // Rules across fields are 400s (the document cannot say them), as validate's are.
            if labels != nil { throw VisionError.invalidInput("box_labels are given without boxes for them to label") }
            exemplars = [nil]
            sharedExemplars = true
        case .shared(let boxes)?:
            // Per-image labels on one shared set of boxes are not theirs: the boxes' default applies.
            var shared: [Int]?
            if case .shared(let given)? = labels { shared = given }
            exemplars = [BoxExemplars(boxes: boxes, labels: shared)]
            sharedExemplars = true
        case .perImage(let sets)?:
            var perImage: [[Int]?]?
            if case .perImage(let given)? = labels {
                guard given.count == sets.count else {
                    throw VisionError.invalidInput("box_labels has \(given.count) lists for \(sets.count) images' boxes; "
                                                   + "give one list of labels per image's boxes")
                }
                perImage = given
            }
            exemplars = sets.enumerated().map { i, boxes in
                boxes.flatMap { $0.isEmpty ? nil : BoxExemplars(boxes: $0, labels: perImage?[i] ?? nil) }
            }
            sharedExemplars = false
        }
        let anyBoxes = exemplars.contains { $0 != nil }
        switch try fields.read(Self.promptsField) {
        case nil:
            guard anyBoxes else { throw fields.missing(Self.promptsField) }
            prompts = [[Self.visualPrompt]]
            sharedPrompts = true
            promptsGiven = false
        case .shared(let shared)?:
            prompts = [shared]
            sharedPrompts = true
            promptsGiven = true
        case .perImage(let lists)?:
            prompts = lists
            sharedPrompts = false
            promptsGiven = true
        }
        threshold = try fields.read(Self.thresholdField)
        maskThreshold = try fields.read(Self.maskThresholdField)
        resolveOverlaps = try fields.read(Self.resolveOverlapsField)
        outputFormat = try fields.read(Self.outputFormatField)
        selection = try ModelSelection(from: fields)
    }

    /// The prompts of image `i`.
    func prompts(forImage i: Int) -> [String] { sharedPrompts ? prompts[0] : prompts[i] }

    /// The box exemplars of image `i`, if any.
    func exemplars(forImage i: Int) -> BoxExemplars? { sharedExemplars ? exemplars[0] : exemplars[i] }
}

/// Limits on what a segmentation request may ask for.
public struct SAM3Limits: Sendable {
    public var maxPromptsPerImage: Int
    public var maxPromptCharacters: Int
    /// Mask pixels one prompt's answer on one image may hold (instances × width × height): every
    /// mask is the image's size, so a low threshold on a large image would take gigabytes.
    public var maxMaskPixelsPerPrompt: Int

    public init(maxPromptsPerImage: Int = 32, maxPromptCharacters: Int = 200, maxMaskPixelsPerPrompt: Int = 400_000_000) {
        self.maxPromptsPerImage = maxPromptsPerImage
        self.maxPromptCharacters = maxPromptCharacters
        self.maxMaskPixelsPerPrompt = maxMaskPixelsPerPrompt
    }
}

/// One prompt's result on one image, its masks already encoded.
public struct SAM3PromptResult: Sendable {
    public let promptIndex: Int
    public let prompt: String
    public let segmentation: InstanceSegmentation
    /// JSON of the masks field's value.
    public let encodedMasks: [UInt8]
}

/// `results[image][prompt]`, the model and the time taken.
public struct SAM3Response: Sendable {
    public let results: [[SAM3PromptResult]]
    public let format: MaskFormat
    public let modelID: String
    public let processingTime: Double
    /// Each image's (width, height), for files drawn from the masks (not in the JSON).
    public let imageSizes: [(width: Int, height: Int)]

    public init(results: [[SAM3PromptResult]], format: MaskFormat, modelID: String, processingTime: Double,
                imageSizes: [(width: Int, height: Int)] = []) {
        self.results = results
        self.format = format
        self.modelID = modelID
        self.processingTime = processingTime
        self.imageSizes = imageSizes
    }

    /// Image `i`'s instance label map: 0 background, k the k-th instance in the JSON's order
    /// (prompt by prompt, each prompt's in score order), a later instance drawn over an earlier.
    /// At most 255 instances per image.
    public func labelMap(image i: Int) throws -> (pixels: [UInt8], width: Int, height: Int) {
        let masks = results[i].flatMap(\.segmentation.masks)
        let size: (width: Int, height: Int)
        if i < imageSizes.count {
            size = imageSizes[i]
        } else if let mask = masks.first {
            size = (mask.width, mask.height)
        } else {
            throw VisionError.invalidInput("image \(i) has no size to draw its label map at")
        }
        guard masks.count <= 255 else {
            throw VisionError.invalidInput("image \(i) has \(masks.count) instances; an 8-bit label map holds 255 "
                                           + "(raise threshold, or write JSON)")
        }
        var pixels = [UInt8](repeating: 0, count: size.width * size.height)
        for (k, mask) in masks.enumerated() where mask.width == size.width && mask.height == size.height {
            for p in 0..<pixels.count where mask.pixels[p] != 0 { pixels[p] = UInt8(k + 1) }
        }
        return (pixels, size.width, size.height)
    }

    /// One prompt's answer with the mask encoding the request chose.
    struct Item: Sendable {
        let result: SAM3PromptResult
        let format: MaskFormat
    }

    /// One prompt's answer: `{prompt_index, prompt, result: {scores, boxes, <mask field>}}`.
    static let itemShape = JSONShape<Item>([
        .integer("prompt_index") { $0.result.promptIndex },
        .string("prompt") { $0.result.prompt },
        .object("result", JSONShape<Item>([
            .numbers("scores") { $0.result.segmentation.scores },
            .rows("boxes", description: "[x1, y1, x2, y2] in original-image pixels") { $0.result.segmentation.boxes },
        ] + MaskFormat.schemas.map { format, schema in
            .custom(format.field, schema, present: { $0.format == format }) { item, w in w.raw(json: item.result.encodedMasks) }
        })) { $0 },
    ])

    /// The response's one definition: its JSON and its OpenAPI schema.
    static let shape = JSONShape<SAM3Response>([
        .custom("results", .array(.array(.ref("SAM3PromptResult")), description: "results[image][prompt]")) { r, w in
            w.raw("[")
            for (i, image) in r.results.enumerated() {
                if i > 0 { w.raw(",") }
                itemShape.writeList(image.map { Item(result: $0, format: r.format) }, to: &w)
            }
            w.raw("]")
        },
        .string("model_id") { $0.modelID },
        .number("processing_time") { $0.processingTime },
    ])

    public func json() -> [UInt8] {
        Self.shape.json(self, capacity: 1024 + results.joined().reduce(0) { $0 + $1.encodedMasks.count + 256 })
    }
}
