import VisionCore

/// One entry of a request's `images`: a string (base64, `data:` URI or http(s) URL) or an object
/// `{"data": ..., "format": "base64" | "url"}`.
public struct ImageInput: Decodable, Sendable, Equatable {
    public let source: ImageSource

    public init(source: ImageSource) { self.source = source }

    private enum Keys: String, CodingKey { case data, format }

    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let text = try? single.decode(String.self) {
            source = try ImageSource(string: text)
            return
        }
        guard let object = try? decoder.container(keyedBy: Keys.self) else {
            throw DecodingError.typeMismatch(ImageInput.self, .init(
                codingPath: decoder.codingPath,
                debugDescription: "expected a string (base64, data: URI or URL) or an object with 'data' and 'format'"))
        }
        let data = try object.decode(String.self, forKey: .data)
        let format = try object.decodeOptional(String.self, forKey: .format) ?? "base64"
        source = try ImageSource(data: data, format: format)
    }
}

/// How large float tensors are written in responses.
public enum TensorFormat: String, WireEnum {
    /// Nested JSON lists, as the original API returned them.
    case list
    /// `{"dtype": "float32", "shape": [...], "encoding": "base64", "data": "..."}`: little-endian
    /// float32, row-major. About 6× smaller and far faster to produce and parse.
    case base64
}

extension ImageInput {
    /// An 8×8 RGB PNG (a colour gradient), base64: the documents' example image, so "Try it out"
    /// and generated test cases can reach a model.
    static let example = "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAbUlEQVR42hXOUREAUQhCUaMYhShEMcqNQhSi7Fs/OQzjzLCDBg83"
        + "MGToMLPsosXLLSxZug/ECgmLE4iI6oFZI2NzBhNTPzj20OHjDo4cvQf/7Bt41Rf+F+h7YsIGBYfLHyc0D8oWFZfrX05p+QDeqGABtJu0bQAAAABJRU5ErkJggg=="

    /// A small PNG as a request's image, for routes' example bodies.
    public static let exampleValue = JSONValue.string(example)

    /// The `ImageInput` component schema every family's request names.
    public static let schema = Schema.oneOf([
        .string(minLength: 1, examples: [example]),
        .object(["data": .string(minLength: 1, examples: [example]), "format": .string(enum: ["base64", "url"], default: "base64")], required: ["data"]),
    ], description: "A base64 string, a data: URI, an http(s) URL, or {data, format}")

    /// `images`: one or more `ImageInput`s.
    public static let listSchema = Schema.array(.ref("ImageInput"), minItems: 1)

    /// The `images` field of the routes that take a list (required).
    public static let listField = RequestField<[ImageInput]>.required("images", listSchema)
}
