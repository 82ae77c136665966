import Foundation
import TestSupport
import Testing
import VisionCore
@testable import VisionEngine

/// The Hugging Face task families (tiny random ViT classifier and DETR detector, exported by the
/// project and served from a hub-cache layout) against transformers' own pipelines on the same
/// PNG files (tools/fixtures/make_task_fixtures.py).
@Suite struct TaskParityTests {
    func manifest() throws -> [String: Any] { try FixtureFiles.json("tasks/manifest.json") }

    func decode<T: Decodable>(_ type: T.Type, _ object: [String: Any]) throws -> T {
        try JSONDecoder().decode(T.self, from: JSONSerialization.data(withJSONObject: object))
    }

    func image(_ file: String) throws -> String { Data(try FixtureFiles.bytes("preprocessing/" + file)).base64EncodedString() }

    func context(_ loader: AnyModelLoader, model: String) throws -> EngineContext {
        let hub = try HubCacheBuilder.temporaryFolder("hub")
        try HubCacheBuilder.place(folder: FixtureFiles.root.appendingPathComponent("models/" + model),
                                  repoID: "tests/" + model, in: hub)
        return try EngineFixture.context(families: [loader], hubCache: hub)
    }

    @Test func classificationMatchesThePipeline() async throws {
        let cases = try manifest()["image_classification"] as! [[String: Any]]
        let service = ImageClassificationService(context: try context(ImageClassificationFamily.erasedLoader,
                                                                      model: "vit-classifier-tiny"))
        var compared = 0
        for c in cases {
            let request = try decode(ImageClassificationRequest.self, [
                "inputs": try image(c["image"] as! String), "parameters": c["parameters"]!,
                "model_id": "tests/vit-classifier-tiny",
            ])
            let response = try await service.run(request)
            let expected = c["expected"] as! [[String: Any]]
            let got = try #require(response.results.first)
            #expect(got.map(\.label) == expected.map { $0["label"] as! String }, "\(c["image"]!) \(c["parameters"]!)")
            for (g, e) in zip(got, expected) {
                #expect(abs(Double(g.score) - (e["score"] as! Double)) <= 1e-4, "\(c["image"]!) \(g.label)")
                compared += 1
            }
            // The inputs form answers with the pipeline's bare list.
            let json = try JSONSerialization.jsonObject(with: Data(response.json())) as? [[String: Any]]
            #expect(json?.count == expected.count)
        }
        #expect(cases.count == 25 && compared == 100)
    }

    @Test func detectionMatchesThePipeline() async throws {
        let cases = try manifest()["object_detection"] as! [[String: Any]]
        let service = ObjectDetectionService(context: try context(ObjectDetectionFamily.erasedLoader, model: "detr-tiny"))
        var compared = 0
        for c in cases {
            let file = c["image"] as! String, threshold = c["threshold"] as! Double
            let response = try await service.run(try decode(ObjectDetectionRequest.self, [
                "inputs": try image(file), "parameters": ["threshold": threshold], "model_id": "tests/detr-tiny",
            ]))
            let pipeline = try #require(try JSONSerialization.jsonObject(with: Data(response.json())) as? [[String: Any]])
            let expected = c["expected"] as! [[String: Any]]
            #expect(pipeline.count == expected.count, "\(file) at \(threshold)")
            for (g, e) in zip(pipeline, expected) {
                #expect(g["label"] as? String == e["label"] as? String)
                #expect(abs((g["score"] as! Double) - (e["score"] as! Double)) <= 1e-4)
                let gb = g["box"] as! [String: Int], eb = e["box"] as! [String: Int]
                for key in ["xmin", "ymin", "xmax", "ymax"] { #expect(abs(gb[key]! - eb[key]!) <= 1, "\(file) \(key)") }
                compared += 1
            }
            // The float boxes behind them, from the batch form.
            let batch = try await service.run(try decode(ObjectDetectionRequest.self, [
                "images": [try image(file)], "threshold": threshold, "model_id": "tests/detr-tiny",
            ]))
            let raw = c["post_processed"] as! [String: Any]
            let boxes = raw["boxes"] as! [[Double]]
            #expect(batch.results[0].boxes.count == boxes.count)
            for (g, e) in zip(batch.results[0].boxes, boxes) {
                for k in 0..<4 { #expect(abs(Double(g[k]) - e[k]) <= 0.05, "\(file) box corner \(k): \(g[k]) vs \(e[k])") }
            }
        }
        #expect(cases.count == 10 && compared == 73)
    }

    @Test func badParametersAreClearErrors() async throws {
        let service = ImageClassificationService(context: try context(ImageClassificationFamily.erasedLoader,
                                                                      model: "vit-classifier-tiny"))
        let png = try image("small_37x53.png")
        // Out of its declared bounds: a 400 when the request is read, worded from the bounds.
        let zero = #expect(throws: VisionError.self) {
            try decode(ImageClassificationRequest.self, ["inputs": png, "parameters": ["top_k": 0]])
        }
        #expect(zero?.message == "top_k must be at least 1" && zero?.category == .badRequest)
        _ = service
        #expect(throws: DecodingError.self) {
            try decode(ImageClassificationRequest.self, ["inputs": png, "parameters": ["function_to_apply": "relu"]])
        }
        #expect(throws: VisionError.self) { try decode(ImageClassificationRequest.self, ["parameters": ["top_k": 1]]) }
    }
}
