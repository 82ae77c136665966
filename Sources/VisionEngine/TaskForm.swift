import VisionCore

/// The two request forms of the Hugging Face task routes: the Inference API's
/// `{"inputs": image, "parameters": {...}}`, answered as the pipeline answers one image, and the
/// server's batch form `{"images": [...], ...}`, answered per image with the model id and time.
/// Parameters are read from `parameters`, else from the top level, in either form.
public enum TaskImages: Sendable, Equatable {
    case single(ImageInput)
    case batch([ImageInput])

    public var images: [ImageInput] {
        switch self {
        case .single(let image): [image]
        case .batch(let images): images
        }
    }

    private enum Keys: String, CodingKey { case inputs, images, parameters }

    /// The images of a request, and the container its parameters (`RequestField`s) are read from.
    public static func decode(from decoder: any Decoder) throws -> (TaskImages, KeyedDecodingContainer<FieldKey>) {
        let c = try decoder.container(keyedBy: Keys.self)
        // Both are read, so a wrong `images` beside `inputs` is refused rather than ignored.
        let single = try c.decodeOptional(ImageInput.self, forKey: .inputs)
        let batch = try c.decodeOptional([ImageInput].self, forKey: .images)
        let images: TaskImages
        if let single {
            images = .single(single)
        } else if let batch {
            images = .batch(batch)
        } else {
            throw VisionError.invalidRequest("give the image as 'inputs', or the images as 'images'")
        }
        let fields = c.contains(.parameters) ? try c.nestedContainer(keyedBy: FieldKey.self, forKey: .parameters)
                                             : try decoder.container(keyedBy: FieldKey.self)
        return (images, fields)
    }

    /// The request schema of a route whose parameters are `parameters` (its fields' `property`):
    /// either form, one of `inputs` and `images` required.
    public static func schema(_ parameters: [(String, Schema)], description: String) -> Schema {
        Schema.object(properties: schemaProperties(parameters), description: description).requiringAny(of: ["inputs", "images"])
    }

    /// The schema properties of both forms, for a route whose parameters are `parameters`.
    static func schemaProperties(_ parameters: [(String, Schema)]) -> [(String, Schema)] {
        [("inputs", .ref("ImageInput")),
         ("images", ImageInput.listSchema),
         ("parameters", .object(properties: parameters, description: "Also accepted at the top level"))]
            + parameters + ModelSelection.schemaProperties()
    }
}
