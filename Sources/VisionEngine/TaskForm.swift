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

    static let inputsField = RequestField<ImageInput?>.ifPresent("inputs", .ref("ImageInput"))
    static let imagesField = RequestField<[ImageInput]?>.ifPresent("images", ImageInput.listSchema)

    /// The `parameters` object of a route whose parameters are `parameters` (made once per route).
    public static func parametersObject(_ parameters: [any DeclaredRequestField]) -> NestedRequestObject {
        RequestShape(parameters).nested("parameters", description: "Also accepted at the top level")
    }

    /// The request shape of a route whose parameters are `parameters`: the image as `inputs` or
    /// the images as `images` (one required), the parameters in `parameters` or at the top level.
    public static func shape(_ parameters: NestedRequestObject, description: String) -> RequestShape {
        RequestShape([inputsField, imagesField, parameters] + parameters.shape.fields + ModelSelection.fields(),
                     requiringAny: [["inputs", "images"]], description: description, required: [])
    }

    /// The images of a request, and the fields its parameters are read from.
    public static func decode(from fields: RequestFields, parameters: NestedRequestObject) throws -> (TaskImages, RequestFields) {
        // Both are read, so a wrong `images` beside `inputs` is refused rather than ignored.
        let single = try fields.read(inputsField)
        let batch = try fields.read(imagesField)
        let images: TaskImages
        if let single {
            images = .single(single)
        } else if let batch {
            images = .batch(batch)
        } else {
            throw VisionError.invalidRequest("give the image as 'inputs', or the images as 'images'")
        }
        return (images, try fields.nestedOrSelf(parameters))
    }
}
