import Foundation
import Testing
import VisionCore
@testable import VisionAPI
import VisionApp
@testable import VisionEngine

/// Every family's responses, written by their shapes, against the schemas the OpenAPI document
/// publishes for them: no field the schema does not declare, every required one present, at
/// every depth (refs followed, oneOf tried branch by branch).
@Suite struct ResponseSchemaTests {
    /// Why `value` does not conform to `schema`, or nil.
    static func mismatch(_ value: Any, _ schema: [String: Any], _ components: [String: Any], path: String = "") -> String? {
        if let ref = schema["$ref"] as? String {
            guard let target = components[String(ref.split(separator: "/").last!)] as? [String: Any] else { return "\(path): no \(ref)" }
            return mismatch(value, target, components, path: path)
        }
        if let choices = schema["oneOf"] as? [[String: Any]] {
            let failures = choices.map { mismatch(value, $0, components, path: path) }
            return failures.contains { $0 == nil } ? nil : failures.compactMap { $0 }.joined(separator: " / ")
        }
        switch schema["type"] as? String {
        case "object":
            guard let object = value as? [String: Any] else { return "\(path): not an object" }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for key in object.keys where properties[key] == nil && schema["additionalProperties"] == nil && !properties.isEmpty {
                return "\(path).\(key): not in the schema"
            }
            for key in schema["required"] as? [String] ?? [] where object[key] == nil { return "\(path).\(key): required, missing" }
            for (key, v) in object {
                if let sub = properties[key] as? [String: Any], let m = mismatch(v, sub, components, path: path + "." + key) { return m }
            }
            return nil
        case "array":
            guard let array = value as? [Any] else { return "\(path): not an array" }
            let items = schema["items"] as? [String: Any] ?? [:]
            for (i, v) in array.enumerated() {
                if let m = mismatch(v, items, components, path: "\(path)[\(i)]") { return m }
            }
            return nil
        case "string": return value is String ? nil : "\(path): not a string"
        case "integer": return (value as? NSNumber).map { $0.doubleValue.rounded() == $0.doubleValue } == true ? nil : "\(path): not an integer"
        case "number": return value is NSNumber ? nil : "\(path): not a number"
        case "boolean": return value is Bool ? nil : "\(path): not a boolean"
        default: return nil
        }
    }

    @Test func everyResponseMatchesItsPublishedSchema() throws {
        let families = FamilyRegistry(AppBuilder.families.map { $0.schemasOnly })
        let document = try #require(try JSONSerialization.jsonObject(
            with: Data(OpenAPIDocument(version: "t", families: families, jobs: false).json)) as? [String: Any])
        let components = (document["components"] as! [String: Any])["schemas"] as! [String: Any]
        let tensor = Tensor.float32([1, 2, 3, 4, 5, 6], shape: [1, 2, 3]), pooled = Tensor.float32([1, 2], shape: [1, 2])
        let boxes = Detections(scores: [0.5, 0.25], labels: ["cat", "dog"], boxes: [[1, 2, 3, 4], [5, 6, 7.5, 8]])
        var depth = DepthResult(depth: [1, 2], height: 1, width: 2, map: EncodedMap(
            encoded: [1, 2, 3], format: .png16, minimum: 1, maximum: 2, scale: 0.5, offset: 1))
        depth.confidence = EncodedMap(encoded: [4], format: .png8, minimum: 0, maximum: 1, scale: nil, offset: nil)
        depth.camera = CameraParameters(poseEncoding: [0, 0, 0, 0, 0, 0, 1, 1, 1], height: 1, width: 2)
        depth.originalShape = [2, 4]
        depth.export = DepthExportFile(format: .ply, data: [1, 2], points: 2)
        let segmentation = InstanceSegmentation(scores: [0.9], boxes: [[0, 0, 1, 1]], masks: [])
        var cases: [(String, [UInt8])] = [
            ("DINOv3Response", DINOv3Response(lastHiddenState: tensor, poolerOutput: pooled, modelID: "m", processingTime: 0.1,
                                              tensorFormat: .list).json()),
            ("DINOv3Response", DINOv3Response(lastHiddenState: tensor, poolerOutput: pooled, modelID: "m", processingTime: 0.1,
                                              tensorFormat: .base64).json()),
            ("GroundingDINOResponse", GroundingDINOResponse(results: [boxes], modelID: "m", processingTime: 0.1).json()),
            ("ZeroShotDetectionResponse", ZeroShotDetectionResponse(detections: [
                PipelineDetection(label: "cat", score: 0.5, corners: [1.5, 2, 3, 4])]).json()),
            ("ObjectDetectionResponse", ObjectDetectionResponse(results: [boxes], modelID: "m", processingTime: 0.1, single: false).json()),
            ("ObjectDetectionResponse", ObjectDetectionResponse(results: [boxes], modelID: "m", processingTime: 0.1, single: true).json()),
            ("ImageClassificationResponse", ImageClassificationResponse(
                results: [[Classification(label: "cat", score: 0.9)]], modelID: "m", processingTime: 0.1, single: false).json()),
            ("ImageClassificationResponse", ImageClassificationResponse(
                results: [[Classification(label: "cat", score: 0.9)]], modelID: "m", processingTime: 0.1, single: true).json()),
            ("DepthAnythingResponse", DepthAnythingResponse(results: [depth, depth], modelID: "m", depthKind: "relative",
                                                            processingTime: 0.1).json()),
        ]
        let masks: [MaskFormat: String] = [.rle: #"[{"encoding":"rle","size":[1,1],"counts":"1"}]"#, .cocoRLE: #"[{"size":[1,1],"counts":"1"}]"#,
                                           .polygons: "[[[[0,0],[1,0],[1,1]]]]", .dense: "[[[1]]]", .png: #"["iVBOR"]"#]
        for (format, encoded) in masks {
            let result = SAM3PromptResult(promptIndex: 0, prompt: "a cat", segmentation: segmentation, encodedMasks: Array(encoded.utf8))
            cases.append(("SAM3Response", SAM3Response(results: [[result]], format: format, modelID: "m", processingTime: 0.1).json()))
        }
        for (format, encoded) in masks {
            let object = SAM2ObjectResult(objectIndex: 0, scores: [0.5, 0.7, 0.6], bestMask: 1, objectScoreLogit: -0.2,
                                          masks: [], encodedMasks: Array(encoded.utf8))
            let image = SAM2ImageResult(objects: [object], embeddingCached: true, encoderTime: 0, decoderTime: 0.01,
                                        width: 1, height: 1)
            cases.append(("SAM2Response", SAM2Response(results: [image], format: format, modelID: "m", processingTime: 0.1).json()))
        }
        for encoding in [EmbeddingEncoding.float, .base64] {
            cases.append(("EmbeddingsResponse", EmbeddingsResponse(
                imageEmbeddings: [[0.6, 0.8]], textEmbeddings: [[1, 0], [0, 1]], encoding: encoding, logitScale: 100,
                logitBias: encoding == .base64 ? -10 : nil, modelID: "m", processingTime: 0.1).json()))
        }
        for single in [true, false] {
            cases.append(("ImageFeatureResponse", ImageFeatureResponse(features: [[0.5, 1.5]], modelID: "m",
                                                                      processingTime: 0.1, single: single).json()))
        }
        for (name, bytes) in cases {
            #expect(!String(decoding: bytes, as: UTF8.self).contains("\\/"))
            let value = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
            let schema = try #require(components[name] as? [String: Any], "no schema \(name)")
            #expect(Self.mismatch(value, schema, components) == nil, "\(name): \(Self.mismatch(value, schema, components) ?? "")")
        }
        #expect(cases.count == 23)
        // Every registered family's response schemas have a case here: a new family fails this
        // line until its responses are checked too.
        let published = Set(families.families.flatMap { $0.routes.map(\.responseSchema) })
        #expect(published == Set(cases.map(\.0)), "unchecked: \(published.subtracting(cases.map(\.0)).sorted())")
        // The check itself can fail: an undeclared field and a wrong type are caught.
        let detections = try #require(components["Detections"] as? [String: Any])
        #expect(Self.mismatch(["scores": [1], "colour": "red"], detections, components) != nil)
        #expect(Self.mismatch(["scores": ["high"]], detections, components) != nil)
    }
}

extension Family {
    /// The family served over an engine that is never called: for its routes and schemas only.
    static var schemasOnly: ServedFamily {
        let executor = BlockingExecutor(name: "unused", threads: 1, queueLimit: 1)
        let models = ModelManager(families: [erasedLoader], runtime: UnusedRuntime(), repository: EmptyRepository(),
                                  loadExecutor: executor, logger: .init(label: "t"))
        let images = ImagePipeline(decoder: NoImages(), fetcher: NoImages(), executor: executor, limits: ImageLimits(),
                                   maxImagesPerRequest: 1)
        return try! serve(FamilyContext(engine: EngineContext(models: models, images: images, inference: executor),
                                        pngEncoder: NoImages(), deflater: NoImages(), settings: FamilySettings([:])))
    }
}

/// Request schemas are declared beside the request types' coding keys; this keeps the two
/// together: every property a route's published schema names is read by its decoder (a value of
/// the wrong type there is refused, naming the property), so the document cannot offer a field
/// the server ignores.
@Suite struct RequestSchemaTests {
    static let png = "iVBORw0KGgo="  // decoding stops before the image is read

    /// A body each route's decoder accepts up to its first field of the wrong type.
    static func base(_ path: String) -> [String: Any] {
        switch path {
        case "/inference/sam3", "/inference/grounding-dino": ["images": [png], "prompts": ["a cat"]]
        case "/inference/sam2": ["images": [png], "objects": [["points": [[1, 2]]]]]
        case "/inference/zero-shot-object-detection", "/inference/zero-shot-image-classification":
            ["inputs": png, "candidate_labels": ["a cat"]]
        case "/inference/image-classification", "/inference/object-detection": ["images": [png]]
        default: ["images": [png]]
        }
    }

    @Test func everyPublishedRequestFieldIsRead() async throws {
        let families = AppBuilder.families.map { $0.schemasOnly }
        var checked = 0
        for family in families {
            let schemas = Dictionary(family.schemas.map { ($0.key, $0.value) }) { a, _ in a }
            for route in family.routes {
                let schema = try #require(schemas[route.requestSchema]?.json["properties"], "\(route.path)")
                guard case .object(let properties) = schema else { Issue.record("\(route.path): no properties"); continue }
                for (name, property) in properties {
                    // The wrong type for the property: a string where an object is expected, else an object.
                    let wrong: Any = property["type"] == .string("object") ? "wrong" : ["wrong": true]
                    var body = Self.base(route.path)
                    if name == "inputs" { body["images"] = nil }
                    body[name] = wrong
                    do {
                        _ = try await route.handle([UInt8](try JSONSerialization.data(withJSONObject: body)))
                        Issue.record("\(route.path): '\(name)' of the wrong type was accepted")
                    } catch let error as DecodingError {
                        let said = APIError.describe(error)
                        #expect(said.contains(name), "\(route.path): '\(name)' refused as '\(said)'")
                    } catch {
                        Issue.record("\(route.path): '\(name)' of the wrong type was not a decoding error: \(error)")
                    }
                    checked += 1
                }
            }
        }
        #expect(checked >= 40, "\(checked) fields checked")
    }
}
