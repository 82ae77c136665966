import Foundation
import TestSupport
import Testing

/// Hostile and malformed input over real HTTP: each gets its status and a clear `{"detail"}`.
@Suite struct BadInputTests {
    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let path: String
        let body: Data
        let status: Int
        let detail: String
        var description: String { name }
    }

    static func json(_ object: Any) -> Data { try! JSONSerialization.data(withJSONObject: object) }

    static var cases: [Case] {
        let png = try! FixtureFiles.data("preprocessing/small_37x53.png").base64EncodedString()
        let jpeg = try! FixtureFiles.bytes("codecs/baseline_420.jpg")
        let truncated = Data(jpeg.prefix(jpeg.count - 20)).base64EncodedString()
        let bomb = Data(PNGBomb.make(width: 100_000, height: 100_000)).base64EncodedString()
        let model = "tests/dinov3-vit-tiny"
        let infer = "/inference/dinov3"
        return [
            Case(name: "invalid base64", path: infer, body: json(["images": ["@@not-base64@@"], "model_id": model]),
                 status: 400, detail: "not valid base64"),
            Case(name: "bytes that are no image", path: infer,
                 body: json(["images": [Data("just some text".utf8).base64EncodedString()], "model_id": model]),
                 status: 415, detail: "not a JPEG, PNG or WebP image"),
            Case(name: "truncated JPEG", path: infer, body: json(["images": [truncated], "model_id": model]),
                 status: 415, detail: "truncated or corrupt"),
            Case(name: "PNG claiming 100k×100k pixels", path: infer, body: json(["images": [bomb], "model_id": model]),
                 status: 413, detail: "100000×100000"),
            Case(name: "images is not a list", path: infer, body: json(["images": png]),
                 status: 422, detail: "images: expected a list"),
            Case(name: "image is a number", path: infer, body: json(["images": [3]]),
                 status: 422, detail: "images[0]: expected a string"),
            Case(name: "model_id is a number", path: infer, body: json(["images": [png], "model_id": 7]),
                 status: 422, detail: "model_id: expected a string"),
            // Optional fields are absent or typed, as documented: an explicit null is not "absent".
            Case(name: "model_id is null", path: infer, body: json(["images": [png], "model_id": NSNull()]),
                 status: 422, detail: "model_id: expected a string, got null"),
            Case(name: "unload model_id is null", path: "/models/unload", body: json(["model_id": NSNull()]),
                 status: 422, detail: "model_id: expected a string, got null"),
            Case(name: "unload names an unknown type beside an id", path: "/models/unload",
                 body: json(["model_id": "org/x", "model_type": "nope"]), status: 400, detail: "unknown model type 'nope'"),
            Case(name: "missing images", path: infer, body: json(["model_id": model]),
                 status: 422, detail: "images: field required"),
            Case(name: "no images", path: infer, body: json(["images": [] as [String]]),
                 status: 400, detail: "at least one image"),
            Case(name: "invalid JSON", path: infer, body: Data("{\"images\": [".utf8),
                 status: 400, detail: "not valid JSON"),
            Case(name: "empty body", path: infer, body: Data(), status: 400, detail: "body is empty"),
            Case(name: "unknown model", path: infer, body: json(["images": [png], "model_id": "nobody/nothing"]),
                 status: 404, detail: "'nobody/nothing' is not in the Hugging Face cache"),
            Case(name: "model id with path tricks", path: infer, body: json(["images": [png], "model_id": "../../etc/passwd"]),
                 status: 400, detail: "not a valid Hugging Face repository id"),
            Case(name: "URL to loopback", path: infer, body: json(["images": ["http://127.0.0.1:9/x.png"], "model_id": model]),
                 status: 400, detail: "non-public address"),
            Case(name: "URL to localhost by name", path: infer,
                 body: json(["images": [["data": "http://localhost/x.png", "format": "url"]], "model_id": model]),
                 status: 400, detail: "non-public address"),
            Case(name: "URL to cloud metadata", path: infer,
                 body: json(["images": ["http://169.254.169.254/latest/meta-data/"], "model_id": model]),
                 status: 400, detail: "non-public address"),
            Case(name: "unknown image format kind", path: infer,
                 body: json(["images": [["data": png, "format": "gif"]], "model_id": model]),
                 status: 400, detail: "must be 'base64' or 'url'"),
            // An unknown enum value is the same 422 on every route and field, naming what is accepted.
            Case(name: "unknown tensor format", path: infer,
                 body: json(["images": [png], "model_id": model, "tensor_format": "xml"]),
                 status: 422, detail: "tensor_format: expected one of list, base64, got 'xml'"),
            Case(name: "unknown depth format", path: "/inference/depth-anything",
                 body: json(["images": [png], "depth_format": "jpeg"]),
                 status: 422, detail: "depth_format: expected one of png8, png16, float32, got 'jpeg'"),
            Case(name: "unknown export format", path: "/inference/depth-anything",
                 body: json(["images": [png], "export_format": "obj"]),
                 status: 422, detail: "export_format: expected one of glb, npz, ply, gs_ply, gs_video, got 'obj'"),
            Case(name: "unknown mask format", path: "/inference/sam3",
                 body: json(["images": [png], "prompts": ["a"], "output_format": "bmp"]),
                 status: 422, detail: "output_format: expected one of"),
            Case(name: "unknown classification function", path: "/inference/image-classification",
                 body: json(["inputs": png, "parameters": ["function_to_apply": "relu"]]),
                 status: 422, detail: "parameters.function_to_apply: expected one of softmax, sigmoid, none, got 'relu'"),
            Case(name: "unknown device in a request", path: infer, body: json(["images": [png], "device": "tpu"]),
                 status: 422, detail: "device: expected one of cpu, cuda, got 'tpu'"),
            Case(name: "unknown model type", path: "/models/load", body: json(["model_type": "yolo"]),
                 status: 400, detail: "unknown model type 'yolo'"),
            Case(name: "default model not in the offline cache", path: "/models/load", body: json(["model_type": "sam3"]),
                 status: 404, detail: "'facebook/sam3' is not in the Hugging Face cache"),
            Case(name: "unknown device", path: "/models/load", body: json(["model_type": "dinov3", "device": "tpu"]),
                 status: 422, detail: "device: expected one of cpu, cuda, got 'tpu'"),
            Case(name: "cuda on a CPU library", path: "/models/load",
                 body: json(["model_type": "dinov3", "device": "cuda", "model_id": model]),
                 status: 400, detail: "device 'cuda' is not available"),
            Case(name: "unload needs a type", path: "/models/unload", body: json([:] as [String: String]),
                 status: 422, detail: "model_type or model_id required"),
            Case(name: "body over the limit", path: infer,
                 body: json(["images": [String(repeating: "A", count: 300_000)]]),
                 status: 413, detail: "exceeds the limit"),
        ]
    }

    @Test func everyBadInputGetsItsStatusAndDetail() async throws {
        try await ServerProcess.with(root: try rootWithModels(), environment: ["MAX_BODY_BYTES": "200000",
                                                                               "HF_TOKEN": "hf_badInputSecret999"]) { server in
            for c in Self.cases {
                let reply = try await server.request("POST", c.path, body: c.body)
                #expect(reply.status == c.status, "\(c.name): got \(reply.status) \(reply.text.prefix(200))")
                #expect(reply.json.keys.sorted() == ["detail"], "\(c.name): \(reply.text.prefix(200))")
                let detail = reply.json["detail"] as? String ?? ""
                #expect(detail.contains(c.detail), "\(c.name): detail was '\(detail)'")
                #expect(!reply.text.contains("hf_badInputSecret999"))
                #expect(reply.header("content-type") == "application/json")
            }
            let missing = try await server.get("/no/such/route")
            #expect(missing.status == 404 && missing.json["detail"] as? String == "Not Found")
            // The server is still healthy after all of that.
            #expect(try await server.get("/health").status == 200)
            #expect(!server.log.contains("hf_badInputSecret999"))
        }
    }
}
