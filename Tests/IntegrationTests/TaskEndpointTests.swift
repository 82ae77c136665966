import Foundation
import ImageCodecs
import Logging
import TestSupport
import Testing
import VisionCore
@testable import VisionAPI
@testable import VisionEngine

/// The Hugging Face task routes over real HTTP: both request forms, jobs, `/models/*` and the
/// OpenAPI document, all from the family registry.
@Suite struct TaskEndpointTests {
    static func image(_ file: String) throws -> String { try FixtureFiles.data("preprocessing/" + file).base64EncodedString() }

    @Test func classificationAndDetectionOverHTTP() async throws {
        let manifest = try FixtureFiles.json("tasks/manifest.json")
        let classification = (manifest["image_classification"] as! [[String: Any]])[0]
        let detection = (manifest["object_detection"] as! [[String: Any]])[0]
        try await ServerProcess.with(root: try rootWithModels(), environment: ["JOB_WORKERS": "1"]) { server in
            // The Inference API form answers as the pipeline: a bare list.
            let classified = try await server.post("/inference/image-classification", json: [
                "inputs": try Self.image(classification["image"] as! String), "model_id": "tests/vit-classifier-tiny",
            ])
            #expect(classified.status == 200, "\(classified.text.prefix(300))")
            let labels = try #require(try JSONSerialization.jsonObject(with: Data(classified.text.utf8)) as? [[String: Any]])
            #expect(labels.map { $0["label"] as? String } == (classification["expected"] as! [[String: Any]]).map { $0["label"] as? String })
            let detected = try await server.post("/inference/object-detection", json: [
                "inputs": try Self.image(detection["image"] as! String), "parameters": ["threshold": detection["threshold"]!],
                "model_id": "tests/detr-tiny",
            ])
            let boxes = try #require(try JSONSerialization.jsonObject(with: Data(detected.text.utf8)) as? [[String: Any]])
            #expect(boxes.count == (detection["expected"] as! [Any]).count && !boxes.isEmpty)
            // The batch form: results per image, model id and time.
            let batch = try await server.post("/inference/image-classification", json: [
                "images": [try Self.image("wide_90x151.png"), try Self.image("small_37x53.png")], "top_k": 2,
                "model_id": "tests/vit-classifier-tiny",
            ]).json
            #expect((batch["results"] as? [[Any]])?.map(\.count) == [2, 2] && batch["model_id"] as? String == "tests/vit-classifier-tiny")
            // Bad parameters: the same statuses as every route.
            #expect(try await server.post("/inference/image-classification", json: [
                "inputs": try Self.image("wide_90x151.png"), "parameters": ["top_k": 0], "model_id": "tests/vit-classifier-tiny",
            ]).status == 400)
            #expect(try await server.post("/inference/object-detection", json: ["parameters": ["threshold": 0.5]]).status == 422)

            // Jobs: the same request queued gives the same answer.
            for (type, path, body) in [
                ("image_classification", "/inference/image-classification",
                 ["images": [try Self.image("tall_160x96.png")], "model_id": "tests/vit-classifier-tiny"] as [String: Any]),
                ("object-detection", "/inference/object-detection",
                 ["images": [try Self.image("tall_160x96.png")], "threshold": 0.5, "model_id": "tests/detr-tiny"]),
            ] {
                let submitted = try await server.post("/jobs/submit/\(type)", json: body)
                #expect(submitted.status == 202, "\(submitted.text.prefix(300))")
                let done = try await JobsEndpointTests.waitAll(server, [try #require(submitted.json["job_id"] as? String)])[0]
                #expect(done["status"] as? String == "completed", "\(done)")
                let direct = try await server.post(path, json: body).json
                #expect(JobsEndpointTests.features(done["result"]) == JobsEndpointTests.features(direct))
            }

            // /models and the OpenAPI document know both types.
            let loaded = try await server.post("/models/load", json: ["model_type": "object_detection", "model_id": "tests/detr-tiny"])
            #expect(loaded.status == 200 && loaded.json["model_type"] as? String == "object_detection")
            #expect(loaded.text.contains("\"tests/detr-tiny\""), "no escaped slashes: \(loaded.text)")
            let status = try await server.get("/models/status").json["models"] as? [String: Any]
            #expect(status?["image_classification"] != nil && status?["object_detection"] != nil)
            let document = try await server.get("/openapi.json")
            #expect(!document.text.contains("\\/"))
            let paths = try #require(document.json["paths"] as? [String: Any])
            #expect(paths["/inference/image-classification"] != nil && paths["/inference/object-detection"] != nil)
        }
    }

    /// A job's image URL is fetched once, at submit: the stored request holds the bytes.
    @Test func jobsStoreTheirImagesAsBytes() async throws {
        let png = try FixtureFiles.bytes("preprocessing/small_37x53.png")
        struct OneImage: ImageFetching {
            let png: [UInt8]
            func fetch(_ url: String) async throws -> [UInt8] { png }
        }
        let executor = BlockingExecutor(name: "t", threads: 1, queueLimit: 4)
        defer { executor.shutdown() }
        let images = ImagePipeline(decoder: ImageDecoder(), fetcher: OneImage(png: png), executor: executor,
                                   limits: ImageLimits(), maxImagesPerRequest: 4)
        let models = ModelManager(families: [ImageClassificationFamily.erasedLoader], runtime: UnusedRuntime(),
                                  repository: EmptyRepository(), loadExecutor: executor, logger: Logger(label: "t"))
        let context = FamilyContext(engine: EngineContext(models: models, images: images, inference: executor),
                                    pngEncoder: NoImages(), deflater: NoImages(), settings: FamilySettings([:]))
        let jobs = InferenceJobs(families: FamilyRegistry([ImageClassificationFamily.serve(context)]), images: images,
                                 work: executor)
        for body in [["inputs": "https://example.org/a.png"], ["images": ["https://example.org/a.png"]]] as [[String: Any]] {
            let stored = try await jobs.prepare(modelType: .imageClassification,
                                                body: [UInt8](try JSONSerialization.data(withJSONObject: body)))
            let object = try #require(try JSONSerialization.jsonObject(with: Data(stored)) as? [String: Any])
            let entry = (object["inputs"] as? String) ?? (object["images"] as? [String])?.first
            #expect(entry == Data(png).base64EncodedString(), "\(body.keys)")
        }
    }
}
