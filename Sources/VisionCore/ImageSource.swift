/// Where a request's image comes from, as the original API accepted it: a base64 string, a
/// `data:` URI, an http(s) URL, or `{"data": ..., "format": "base64" | "url"}`.
public enum ImageSource: Sendable, Equatable {
    case bytes([UInt8])
    case url(String)

    /// Whether a bare string names a URL (rather than carrying the image's bytes).
    public static func namesURL(_ string: String) -> Bool { string.hasPrefix("http://") || string.hasPrefix("https://") }

    /// Classifies a bare string.
    public init(string: String) throws {
        if Self.namesURL(string) {
            self = .url(string)
        } else if string.hasPrefix("data:") {
            guard let comma = string.firstIndex(of: ",") else {
                throw VisionError.invalidInput("data URI has no ',' separating its header from the data")
            }
            let header = string[string.index(string.startIndex, offsetBy: 5)..<comma]
            guard header.split(separator: ";").contains("base64") else {
                throw VisionError.invalidInput("data URI must be base64-encoded (';base64,')")
            }
            self = .bytes(try Self.decodeBase64(String(string[string.index(after: comma)...])))
        } else {
            self = .bytes(try Self.decodeBase64(string))
        }
    }

    /// An explicit `{"data", "format"}` object.
    public init(data: String, format: String) throws {
        switch format.lowercased() {
        case "base64":
            let source = try ImageSource(string: data)
            guard case .bytes = source else { throw VisionError.invalidInput("image data marked base64 is a URL") }
            self = source
        case "url":
            guard Self.namesURL(data) else {
                throw VisionError.invalidInput("image url must start with http:// or https://")
            }
            self = .url(data)
        default:
            throw VisionError.invalidInput("image format must be 'base64' or 'url', not '\(format.prefix(20))'")
        }
    }

    /// Strict standard base64 (whitespace ignored, padding optional).
    public static func decodeBase64(_ text: String) throws -> [UInt8] {
        guard let bytes = Base64.decode(text) else {
            throw VisionError.invalidInput("image data is not valid base64 (nor a data: URI or http(s) URL)")
        }
        if bytes.isEmpty { throw VisionError.invalidInput("image data is empty") }
        return bytes
    }
}
