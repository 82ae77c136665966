import Foundation
import HTTPTypes
import VisionCore

/// The bodies the Hugging Face Inference API's task form takes, as the task routes read them: its
/// JSON (`{"inputs": image, "parameters": {...}}`), or the image's bytes alone (what
/// `huggingface_hub.InferenceClient` sends for a call without parameters), which become
/// `{"inputs": "<base64>"}`.
enum InferenceAPIBody {
    /// Whether a body is an image's bytes rather than JSON: an `image/*` or
    /// `application/octet-stream` type; not a JSON type, and a first byte that cannot open JSON
    /// (curl's `--data-binary @cat.png` says `application/x-www-form-urlencoded`).
    static func isImage(_ body: [UInt8], contentType: String?) -> Bool {
        let type = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        if type.hasPrefix("image/") || type == "application/octet-stream" { return true }
        if type == "application/json" || type.hasSuffix("+json") { return false }
        let first = body.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        return first != UInt8(ascii: "{") && first != UInt8(ascii: "[")
    }

    /// The JSON body a task route decodes: the image bytes wrapped as `inputs`, or the JSON as it
    /// came; with `modelID` (from the URL) set as `model_id`, where one is given.
    static func json(_ body: [UInt8], contentType: String?, modelID: String? = nil) throws -> [UInt8] {
        var object: [String: Any]
        if isImage(body, contentType: contentType) {
            object = ["inputs": Data(body).base64EncodedString()]
        } else if modelID != nil {
            guard let parsed = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
                throw VisionError.invalidInput("the body is neither a JSON object ({\"inputs\": ..., \"parameters\": {...}}) "
                                                 + "nor an image (Content-Type image/* or application/octet-stream)")
            }
            object = parsed
        } else {
            return body
        }
        if let modelID {
            if let named = object["model_id"] as? String, named.lowercased() != modelID.lowercased() {
                throw VisionError.invalidInput("the body names model_id '\(named.prefix(200))' but the URL names '\(modelID)'")
            }
            object["model_id"] = modelID
        }
        return Array(try JSONSerialization.data(withJSONObject: object))
    }
}
