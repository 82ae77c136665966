import Foundation
import HubCache
import ImageCodecs
import TestSupport
import Testing
import VisionCore
@testable import VisionEngine

/// Click-to-segment (a tiny random Sam2Model and Sam3TrackerModel, exported by
/// tools/export/export.py sam2 into the onnx-community layout) against transformers' processor →
/// model → post_process_masks (tools/fixtures/make_sam2_fixtures.py): points, negative points,
/// several objects with padding, boxes alone, a point with a box.
@Suite struct SAM2ParityTests {
    static let repo = "tests/sam2.1-tiny"
    static let models = ["sam2.1-tiny", "sam3-tracker-tiny"]

    static func service(cache: ImageEmbeddingCache = ImageEmbeddingCache(family: "sam2", capacityMB: 64),
                        limits: SAM2Limits = SAM2Limits()) throws -> SAM2Service {
        let hub = try HubCacheBuilder.temporaryFolder("hub")
        for name in models {
            try HubCacheBuilder.place(folder: FixtureFiles.root.appendingPathComponent("models/" + name), repoID: "tests/" + name, in: hub)
        }
        return SAM2Service(context: try EngineFixture.context(families: [SAM2Family.erasedLoader], hubCache: hub),
                           cache: cache, encoder: PNGEncoder(), deflater: Zlib(), limits: limits)
    }

    static func objects(_ c: [String: Any]) -> [ClickObject] {
        (c["objects"] as! [[String: Any]]).map { o in
            ClickObject(points: (o["points"] as? [[Double]] ?? []).map { $0.map { Float($0) } }, labels: o["labels"] as? [Int],
                        box: (o["box"] as? [Double])?.map { Float($0) })
        }
    }

    static func request(_ c: [String: Any], format: MaskFormat = .cocoRLE, bestOnly: Bool = false, repo: String = repo)
        throws -> SAM2Request {
        SAM2Request(images: [ImageInput(source: .bytes(try FixtureFiles.bytes("preprocessing/" + (c["image"] as! String))))],
                    objects: objects(c), bestMaskOnly: bestOnly, outputFormat: format, modelID: repo)
    }

    static func cases(_ model: String = "sam2.1-tiny") throws -> [[String: Any]] {
        let manifest: [String: Any] = try FixtureFiles.json("sam2/manifest.json")
        return ((manifest["models"] as! [String: Any])[model] as! [String: Any])["cases"] as! [[String: Any]]
    }

    @Test(arguments: SAM2ParityTests.models)
    func masksAndScoresEqualTransformers(model: String) async throws {
        let service = try Self.service()
        var checkedMasks = 0
        let cases = try Self.cases(model)
        for (n, c) in cases.enumerated() {
            let response = try await service.run(try Self.request(c, repo: "tests/" + model))
            let shape = c["shape"] as! [Int]
            let expected = c["results"] as! [[String: Any]]
            let got = response.results[0].objects
            #expect(got.count == expected.count, "case \(n)")
            for (object, want) in zip(got, expected) {
                let wantScores = want["iou_scores"] as! [Double]
                #expect(object.scores.count == 3 && zip(object.scores, wantScores).allSatisfy { abs(Double($0) - $1) <= 1e-3 },
                        "case \(n) object \(object.objectIndex): scores \(object.scores) vs \(wantScores)")
                #expect(abs(Double(object.objectScoreLogit) - (want["object_score_logit"] as! Double)) <= 1e-3)
                #expect(object.bestMask == wantScores.indices.max { wantScores[$0] < wantScores[$1] })
                for (mask, counts) in zip(object.masks, want["masks_coco"] as! [String]) {
                    let reference = SAM3ParityTests.decodeCOCO(counts, height: shape[0], width: shape[1])
                    let iou = SAM3ParityTests.iou(mask, reference)
                    #expect(mask.width == shape[1] && mask.height == shape[0])
                    #expect(iou >= 0.995, "case \(n) object \(object.objectIndex) mask IoU \(iou)")
                    checkedMasks += 1
                }
            }
        }
        #expect(cases.count == 5 && checkedMasks == 21)
    }

    /// The second click on an image runs only the decoder: the embedding comes from the cache.
    @Test func secondClickOnTheSameImageSkipsTheEncoder() async throws {
        let cache = ImageEmbeddingCache(family: "sam2", capacityMB: 64)
        let service = try Self.service(cache: cache)
        let cases = try Self.cases()
        let first = try await service.run(try Self.request(cases[0]))
        let second = try await service.run(try Self.request(cases[1]))
        #expect(!first.results[0].embeddingCached && first.results[0].encoderTime > 0)
        #expect(second.results[0].embeddingCached && second.results[0].encoderTime == 0 && second.results[0].decoderTime > 0)
        let stats = await cache.snapshot()
        #expect(stats.misses == 1 && stats.hits == 1 && stats.entries == 1)
    }

    @Test func bestMaskOnlyReturnsTheHighestScoringMask() async throws {
        let service = try Self.service()
        let cases = try Self.cases()
        let all = try await service.run(try Self.request(cases[2]))
        let best = try await service.run(try Self.request(cases[2], bestOnly: true))
        for (a, b) in zip(all.results[0].objects, best.results[0].objects) {
            #expect(b.masks.count == 1 && b.bestMask == 0 && b.scores == [a.scores[a.bestMask]])
            #expect(b.masks[0] == a.masks[a.bestMask])
        }
        let map = best.labelMap(image: 0)
        #expect(Set(map.pixels).isSubset(of: [0, 1, 2]) && map.pixels.contains(2))
    }

    @Test(arguments: [
        (#"{"images":["AAAA"],"objects":[{"points":[[1,2]],"labels":[1,0]}]}"#, "labels has 2 labels for 1 points"),
        (#"{"images":["AAAA"],"objects":[{"points":[[1,2]],"labels":[2]}]}"#, "labels are 1 (positive) or 0 (negative)"),
        (#"{"images":["AAAA"],"objects":[{"box":[5,5,1,9]}]}"#, "a box is [x1, y1, x2, y2]"),
        (#"{"images":["AAAA","AAAA"],"objects":[[{"box":[1,1,5,5]}]]}"#, "objects has 1 lists for 2 images"),
        (#"{"images":["AAAA"],"objects":[[]]}"#, "at least one object"),
    ])
    func invalidPromptsAreRefusedByRule(body: String, message: String) throws {
        let request = try JSONDecoder().decode(SAM2Request.self, from: Data(body.utf8))
        let error = #expect(throws: VisionError.self) {
            try request.validate(imageCount: request.images.count, limits: SAM2Limits())
        }
        #expect(error?.category == .badRequest && error?.message.contains(message) == true, "\(String(describing: error))")
    }

    /// Masks are the image's size: an answer that would hold too many mask pixels is a 400 before
    /// the model loads, and best_mask_only brings it under the limit.
    @Test func maskPixelsAreBounded() async throws {
        var limits = SAM2Limits()
        let c = try Self.cases()[2]  // two objects on 160×96
        limits.maxMaskPixelsPerImage = 2 * 160 * 96
        let service = try Self.service(limits: limits)
        let error = await #expect(throws: VisionError.self) { _ = try await service.run(try Self.request(c)) }
        #expect(error?.category == .badRequest && error?.message.contains("best_mask_only") == true)
        let best = try await service.run(try Self.request(c, bestOnly: true))
        #expect(best.results[0].objects.count == 2)
    }

    @Test func anObjectNeedsPointsOrABox() throws {
        for body in [#"{"labels":[]}"#, #"{"points":[]}"#] {
            let empty = try JSONDecoder().decode(ClickObject.self, from: Data(body.utf8))
            #expect(throws: VisionError.invalidInput("an object needs points, a box, or both")) { try empty.validate(limits: SAM2Limits()) }
        }
    }

    /// A wrong field inside an object is named as that field (not as "expected a list").
    @Test func aWrongObjectFieldIsNamed() throws {
        let body = Data(#"{"images":["AAAA"],"objects":[{"points":"here"}]}"#.utf8)
        #expect {
            try JSONDecoder().decode(SAM2Request.self, from: body)
        } throws: { error in
            guard case DecodingError.typeMismatch(_, let context) = error else { return false }
            return context.codingPath.last?.stringValue == "points"
        }
        let mixed = Data(#"{"images":["AAAA"],"objects":[{"box":[1,1,5,5]},[{"box":[1,1,5,5]}]]}"#.utf8)
        #expect(throws: VisionError.self) { try JSONDecoder().decode(SAM2Request.self, from: mixed) }
    }

    func close(_ a: [Float], _ b: [Float]) -> Bool { a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-5 } }

    /// Sam2Processor's coordinate scaling and padding, and transformers.js's layout for each form.
    @Test func promptsTakeTheCommunityLayout() {
        let points = SAM2Prompts([ClickObject(points: [[10, 20]]), ClickObject(points: [[1, 2], [3, 4]], labels: [1, 0])],
                                 width: 100, height: 50, size: 128)
        #expect(points.pointRows == 2 && points.labelRows == 2 && points.pointsPerObject == 2 && points.boxes.isEmpty)
        #expect(close(points.points, [12.8, 51.2, -10, -10, 1.28, 5.12, 3.84, 10.24]) && points.labels == [1, -10, 1, 0])
        let boxes = SAM2Prompts([ClickObject(box: [0, 0, 50, 25]), ClickObject(box: [10, 10, 20, 20])], width: 100, height: 50, size: 128)
        #expect(boxes.pointRows == 1 && boxes.labelRows == 2 && boxes.pointsPerObject == 0 && boxes.points.isEmpty)
        #expect(close(boxes.boxes, [0, 0, 64, 64, 12.8, 25.6, 25.6, 51.2]))
    }
}
