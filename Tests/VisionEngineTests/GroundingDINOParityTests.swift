import Foundation
import HubCache
import ImageCodecs
import TestSupport
import Testing
import VisionCore
@testable import VisionEngine

/// GroundingDINO (tiny random export from tools/export/export.py grounding_dino) against
/// transformers' post_process_grounded_object_detection and the zero-shot pipeline
/// (tools/fixtures/make_grounding_dino_fixtures.py).
@Suite struct GroundingDINOParityTests {
    static let repo = "tests/grounding-dino-tiny"
    /// The same graph without the project's marker: the load-time probe alone finds it right for
    /// any number of phrases.
    static let markerlessRepo = "tests/grounding-dino-markerless"
    /// The same weights traced with the phrase loop frozen at one phrase
    /// (tools/fixtures/make_grounding_dino_frozen_fixture.py): served one phrase per pass.
    static let frozenRepo = "tests/grounding-dino-frozen"

    static func service() throws -> GroundingDINOService {
        let hub = try HubCacheBuilder.temporaryFolder("hub")
        let folder = FixtureFiles.root.appendingPathComponent("models/grounding-dino-tiny")
        try HubCacheBuilder.place(folder: folder, repoID: repo, in: hub)
        let copy = URL(fileURLWithPath: try HubCacheBuilder.temporaryFolder("single"))
            .appendingPathComponent("model")
        try FileManager.default.copyItem(at: folder, to: copy)
        try FileManager.default.removeItem(at: copy.appendingPathComponent("vision_models_api.json"))
        try HubCacheBuilder.place(folder: copy, repoID: markerlessRepo, in: hub)
        try HubCacheBuilder.place(folder: FixtureFiles.root.appendingPathComponent("models/grounding-dino-tiny-frozen"),
                                  repoID: frozenRepo, in: hub)
        return GroundingDINOService(context: try EngineFixture.context(families: [GroundingDINOFamily.erasedLoader], hubCache: hub))
    }

    static func cases() throws -> [[String: Any]] {
        try FixtureFiles.json("grounding_dino/manifest.json")["cases"] as! [[String: Any]]
    }

    static func images(_ names: [String]) throws -> [ImageInput] {
        try names.map { ImageInput(source: .bytes(try FixtureFiles.bytes("preprocessing/" + $0))) }
    }

    static func compare(_ got: Detections, _ expected: [String: Any], _ name: String) {
        let scores = (expected["scores"] as! [Double]).map(Float.init)
        let labels = expected["labels"] as! [String]
        let boxes = (expected["boxes"] as! [[Double]]).map { $0.map(Float.init) }
        #expect(got.scores.count == scores.count, "\(name): \(got.scores.count) detections, transformers \(scores.count)")
        guard got.scores.count == scores.count else { return }
        for (g, e) in zip(got.scores, scores) { #expect(abs(g - e) <= 1e-3, "\(name): score \(g) vs \(e)") }
        #expect(got.labels == labels, "\(name)")
        for (g, e) in zip(got.boxes, boxes) {
            #expect(zip(g, e).allSatisfy { abs($0 - $1) <= 0.5 }, "\(name): box \(g) vs \(e)")
        }
    }

    /// With the marker and without it (the probe decides): transformers' joint-prompt results.
    @Test(arguments: [repo, markerlessRepo])
    func detectionsEqualTransformersForOneTwoAndThreePhrases(repo: String) async throws {
        let service = try Self.service()
        let cases = try Self.cases()
        #expect(cases.count == 4 && cases.contains { ($0["prompts"] as! [String]).count == 3 })
        for c in cases {
            let request = GroundingDINORequest(images: try Self.images(c["images"] as! [String]),
                                               prompts: c["prompts"] as! [String],
                                               boxThreshold: Float(c["box_threshold"] as! Double),
                                               textThreshold: Float(c["text_threshold"] as! Double), modelID: repo)
            let response = try await service.run(request)
            let expected = c["results"] as! [[String: Any]]
            #expect(response.results.count == expected.count)
            for (i, (got, want)) in zip(response.results, expected).enumerated() {
                Self.compare(got, want, "\(c["text"]!) image \(i)")
            }
        }
    }

    /// A graph frozen at one phrase is found out at load and run one phrase per pass, which gives
    /// transformers' answer for each phrase on its own; /models/status says so.
    @Test func frozenGraphsRunOnePassPerPhrase() async throws {
        let service = try Self.service()
        let frozen = try await service.context.models.model(GroundingDINOFamily.loader, ModelSelection(modelID: Self.frozenRepo))
        #expect(!frozen.multiPhrase)
        #expect(frozen.statusDetails.first { $0.0 == "phrases" }?.1 == .string("one per pass"))
        let right = try await service.context.models.model(GroundingDINOFamily.loader, ModelSelection(modelID: Self.markerlessRepo))
        #expect(right.multiPhrase, "\(right.probe)")
        for c in try Self.cases() {
            let request = GroundingDINORequest(images: try Self.images(c["images"] as! [String]),
                                               prompts: c["prompts"] as! [String],
                                               boxThreshold: Float(c["box_threshold"] as! Double),
                                               textThreshold: Float(c["text_threshold"] as! Double),
                                               modelID: Self.frozenRepo)
            let response = try await service.run(request)
            for (i, (got, want)) in zip(response.results, c["per_phrase_results"] as! [[String: Any]]).enumerated() {
                Self.compare(got, want, "per phrase: \(c["text"]!) image \(i)")
            }
        }
    }

    /// The phrase probe's image gives the encoder at least as many tokens as the model has
    /// queries (a real GroundingDINO's 900 need 256 px: at 64 px its TopK failed and every real
    /// graph was run one phrase per pass); the tiny fixtures' 20 fit in 64 px.
    @Test func theProbeImageCoversEveryQuery() {
        #expect(GroundingDINOModel.probeSide(queries: 20) == 64)
        #expect(GroundingDINOModel.probeSide(queries: 900) == 256)
        #expect(GroundingDINOModel.probeSide(queries: 5000) == 512)
    }

    @Test func promptTextAsTheOriginalBuildsIt() throws {
        for c in try Self.cases() {
            let text = (c["prompts"] as! [String]).map(GroundingDINOService.phraseText).joined(separator: " ")
            #expect(text == c["text"] as! String)
            let tokenizer = try WordPieceTokenizer(json: FixtureFiles.data("models/grounding-dino-tiny/tokenizer.json"))
            #expect(tokenizer.encode(text) == c["input_ids"] as! [Int])
        }
    }

    @Test func zeroShotEqualsThePipeline() async throws {
        let service = try Self.service()
        let z = try FixtureFiles.json("grounding_dino/manifest.json")["zero_shot"] as! [String: Any]
        let request = ZeroShotDetectionRequest(image: try Self.images([z["image"] as! String])[0],
                                               candidateLabels: z["candidate_labels"] as! [String],
                                               threshold: Float(z["threshold"] as! Double), modelID: Self.repo)
        let got = try await service.zeroShot(request).detections
        let expected = z["results"] as! [[String: Any]]
        #expect(got.count == expected.count)
        for (g, e) in zip(got, expected) {
            #expect(g.label == e["label"] as! String)
            #expect(abs(Double(g.score) - (e["score"] as! Double)) <= 1e-3)
            let box = e["box"] as! [String: Int]
            #expect(g.box == [box["xmin"]!, box["ymin"]!, box["xmax"]!, box["ymax"]!])
        }
        let top = try await service.zeroShot(ZeroShotDetectionRequest(
            image: request.image, candidateLabels: ["cat"], threshold: 0.5, topK: 2, modelID: Self.repo))
        #expect(top.detections.count == 2 && top.detections[0].score >= top.detections[1].score)
    }

    @Test func badPromptsAreClear400s() async throws {
        let service = try Self.service()
        let image = try Self.images(["small_37x53.png"])
        for (prompts, needle) in [([String](), "at least one"), (["  . "], "empty"),
                                  ([String](repeating: "cat", count: 65), "at most 64"),
                                  ([String(repeating: "cat ", count: 70)], "characters")] {
            let error = await #expect(throws: VisionError.self) {
                try await service.run(GroundingDINORequest(images: image, prompts: prompts, modelID: Self.repo))
            }
            #expect(error?.category == .badRequest && error?.message.contains(needle) == true, "\(needle)")
        }
        let tooManyTokens = [String](repeating: "a big red remote control", count: 60)
        let error = await #expect(throws: VisionError.self) {
            try await service.run(GroundingDINORequest(images: image, prompts: tooManyTokens, modelID: Self.repo))
        }
        #expect(error?.message.contains("at most 256") == true)
        // Out of its declared bounds: a 400 when the request is read.
        let threshold = #expect(throws: VisionError.self) {
            try JSONDecoder().decode(GroundingDINORequest.self, from: Data(#"{"images": ["aGk="], "prompts": ["cat"], "box_threshold": 2}"#.utf8))
        }
        #expect(threshold?.message == "box_threshold must be between 0 and 1" && threshold?.category == .badRequest)
    }
}
