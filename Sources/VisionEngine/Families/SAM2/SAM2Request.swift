import VisionCore

/// One object to segment on an image: clicks (points in image pixels, each positive 1 or negative
/// 0), a box [x1, y1, x2, y2] in pixels, or both — as Sam2Processor's input_points, input_labels
/// and input_boxes take one object.
public struct ClickObject: Decodable, Sendable, Equatable {
    public let points: [[Float]]
    public let labels: [Int]
    public let box: [Float]?

    static let pointsField = RequestField<[[Float]]>(name: "points", schema: .array(
        .array(.number(), minItems: 2, maxItems: 2), description: "Clicks [[x, y], ...] in image pixels")) { c, key in
        // Read wide: a coordinate beyond float32 becomes infinite and is refused by name (400).
        (try c.decodeOptional([[Double]].self, forKey: key) ?? []).map { $0.map { Float($0) } }
    }
    static let labelsField = RequestField<[Int]?>.ifPresent("labels", .array(.integer(), description:
        "Per click: 1 positive (part of the object), 0 negative (not part of it). Default: all 1"))
    static let boxField = RequestField<[Float]?>(name: "box", schema: .array(.number(), minItems: 4, maxItems: 4,
        description: "[x1, y1, x2, y2] in image pixels")) { c, key in
        try c.decodeOptional([Double].self, forKey: key).map { $0.map { Float($0) } }
    }
    /// The object, declared once (the document's `SAM2Object`).
    static let shape = RequestShape([pointsField, labelsField, boxField], requiringAny: [["points", "box"]],
                                    description: "Clicks, a box, or both, for one object")

    public init(points: [[Float]] = [], labels: [Int]? = nil, box: [Float]? = nil) {
        self.points = points
        self.labels = labels ?? [Int](repeating: 1, count: points.count)
        self.box = box
    }

    public init(from decoder: any Decoder) throws {
        let fields = try Self.shape.fields(of: decoder)
        points = try fields.read(Self.pointsField)
        labels = try fields.read(Self.labelsField) ?? [Int](repeating: 1, count: points.count)
        box = try fields.read(Self.boxField)
    }

    /// The rules the schema cannot say, as 400s.
    func validate(limits: SAM2Limits) throws {
        guard !points.isEmpty || box != nil else { throw VisionError.invalidInput("an object needs points, a box, or both") }
        guard points.count <= limits.maxPointsPerObject else {
            throw VisionError.invalidInput("\(points.count) points for an object; at most \(limits.maxPointsPerObject)")
        }
        guard labels.count == points.count else {
            throw VisionError.invalidInput("labels has \(labels.count) labels for \(points.count) points; give one per point")
        }
        guard labels.allSatisfy({ $0 == 0 || $0 == 1 }) else {
            throw VisionError.invalidInput("labels are 1 (positive) or 0 (negative)")
        }
        for p in points where p.count != 2 || !p.allSatisfy(\.isFinite) {
            throw VisionError.invalidInput("a point is [x, y] in pixels, got \(p)")
        }
        if let b = box {
            guard b.count == 4, b.allSatisfy(\.isFinite), b[2] > b[0], b[3] > b[1] else {
                throw VisionError.invalidInput("a box is [x1, y1, x2, y2] in pixels with x2 > x1 and y2 > y1, got \(b)")
            }
        }
    }
}

/// `POST /inference/sam2`: click-to-segment.
public struct SAM2Request: Decodable, Sendable {
    public let images: [ImageInput]
    /// One object list per image, or one list for every image.
    public let objects: [[ClickObject]]
    public let sharedObjects: Bool
    public let bestMaskOnly: Bool
    public let maskThreshold: Float
    public let outputFormat: MaskFormat
    public let selection: ModelSelection

    // The request's fields, declared once: decoding, bounds and the document's SAM2Request.
    /// An entry of `objects`: an object (the list is shared by every image) or an image's list.
    enum Entry: Decodable {
        case object(ClickObject)
        case list([ClickObject])

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            do {
                self = .list(try c.decode([ClickObject].self))
            } catch DecodingError.typeMismatch(_, let context) where context.codingPath.count == decoder.codingPath.count {
                // Not a list: an object, whose own errors name its field.
                self = .object(try c.decode(ClickObject.self))
            }
        }
    }
    static let objectsField = RequestField<(shared: Bool, lists: [[ClickObject]])>(
        name: "objects", schema: .oneOf([.array(.ref("SAM2Object")), .array(.array(.ref("SAM2Object")))],
                                        description: "The objects to segment: one list shared by every image, or one list per image"),
        required: true) { c, key in
        let entries = try c.decode([Entry].self, forKey: key)
        var objects: [ClickObject] = [], lists: [[ClickObject]] = []
        for entry in entries {
            switch entry {
            case .object(let o): objects.append(o)
            case .list(let l): lists.append(l)
            }
        }
        guard objects.isEmpty || lists.isEmpty else {
            throw VisionError.invalidInput("objects is one list of objects for every image, or one list per image: not both")
        }
        return lists.isEmpty ? (true, [objects]) : (false, lists)
    }
    static let bestMaskOnlyField = RequestField.boolean("best_mask_only", default: false, description:
        "Only each object's mask with the highest predicted IoU (else all three of the multimask output)")
    static let maskThresholdField = RequestField.number("mask_threshold", default: 0, minimum: -20, maximum: 20,
        description: "Mask logit above which a pixel is in (post_process_masks' mask_threshold)")
    static let outputFormatField = RequestField.choice("output_format", default: MaskFormat.rle)
    static let shape = RequestShape([ImageInput.listField, objectsField, bestMaskOnlyField, maskThresholdField,
                                     outputFormatField] + ModelSelection.fields())

    public init(images: [ImageInput], objects: [ClickObject], bestMaskOnly: Bool = false, maskThreshold: Float = 0,
                outputFormat: MaskFormat = .rle, modelID: String? = nil) {
        self.images = images
        self.objects = [objects]
        sharedObjects = true
        self.bestMaskOnly = bestMaskOnly
        self.maskThreshold = maskThreshold
        self.outputFormat = outputFormat
        selection = ModelSelection(modelID: modelID)
    }

    public init(from decoder: any Decoder) throws {
        let fields = try Self.shape.fields(of: decoder)
        images = try fields.read(ImageInput.listField)
        (sharedObjects, objects) = try fields.read(Self.objectsField)
        bestMaskOnly = try fields.read(Self.bestMaskOnlyField)
        maskThreshold = try fields.read(Self.maskThresholdField)
        outputFormat = try fields.read(Self.outputFormatField)
        selection = try ModelSelection(from: fields)
    }

    /// The objects of image `i`.
    func objects(forImage i: Int) -> [ClickObject] { sharedObjects ? objects[0] : objects[i] }

    /// The rules across fields, as 400s.
    func validate(imageCount: Int, limits: SAM2Limits) throws {
        if !sharedObjects && objects.count != imageCount {
            throw VisionError.invalidInput("objects has \(objects.count) lists for \(imageCount) images; "
                                           + "give one list per image or one list for all")
        }
        for list in objects {
            guard !list.isEmpty else { throw VisionError.invalidInput("objects must name at least one object per image") }
            guard list.count <= limits.maxObjectsPerImage else {
                throw VisionError.invalidInput("\(list.count) objects for an image; at most \(limits.maxObjectsPerImage)")
            }
            for object in list { try object.validate(limits: limits) }
        }
    }
}

/// Limits on what a click-to-segment request may ask for.
public struct SAM2Limits: Sendable {
    public var maxObjectsPerImage = 32
    public var maxPointsPerObject = 64
    /// Mask pixels one image's answer may hold (objects × masks × width × height): each mask is
    /// the image's size, so many objects on a large image would take gigabytes.
    public var maxMaskPixelsPerImage = 400_000_000

    public init() {}
}
