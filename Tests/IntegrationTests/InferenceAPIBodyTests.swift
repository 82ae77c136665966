import Foundation
import Testing
@testable import VisionAPI

/// The Inference API's bodies as the task routes read them: an image's bytes become `inputs`;
/// JSON is kept; the model in the URL is set as `model_id` and must agree with the body's.
@Suite struct InferenceAPIBodyTests {
    let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]

    func object(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test func imageBytesBecomeInputs() throws {
        for type in ["image/png", "application/octet-stream", "application/x-www-form-urlencoded", nil] {
            let body = try object(InferenceAPIBody.json(png, contentType: type))
            #expect(body["inputs"] as? String == Data(png).base64EncodedString(), "\(type ?? "none")")
            #expect(body["model_id"] == nil)
        }
    }

    @Test func jsonIsKeptAndTheURLsModelIsSet() throws {
        let json = Array(#"{"inputs": "aGk=", "parameters": {"top_k": 2}}"#.utf8)
        #expect(try InferenceAPIBody.json(json, contentType: "application/json") == json)
        #expect(try InferenceAPIBody.json(json, contentType: nil) == json)
        let named = try object(InferenceAPIBody.json(json, contentType: "application/json", modelID: "org/name"))
        #expect(named["model_id"] as? String == "org/name" && (named["parameters"] as? [String: Any])?["top_k"] as? Int == 2)
        let same = Array(#"{"inputs": "aGk=", "model_id": "ORG/name"}"#.utf8)
        #expect(try object(InferenceAPIBody.json(same, contentType: nil, modelID: "org/name"))["model_id"] as? String == "org/name")
        let other = Array(#"{"inputs": "aGk=", "model_id": "org/other"}"#.utf8)
        #expect(throws: (any Error).self) { try InferenceAPIBody.json(other, contentType: nil, modelID: "org/name") }
        #expect(throws: (any Error).self) { try InferenceAPIBody.json(Array("[1]".utf8), contentType: nil, modelID: "org/name") }
    }
}
