import Foundation
import HubCache
import ImageCodecs
import TestSupport
import Testing
import VisionCore
@testable import VisionEngine

/// SAM3 (tiny random export from tools/export/export.py sam3) against transformers'
/// post_process_instance_segmentation, its masks as the original's RLE, pycocotools' COCO RLE and
/// OpenCV's polygons (tools/fixtures/make_sam3_fixtures.py).
@Suite struct SAM3ParityTests {
    static let repo = "tests/sam3-tiny"
    static let singleRepo = "tests/sam3-tiny-single-graph"

    static func service(cache: ImageEmbeddingCache = ImageEmbeddingCache(family: "sam3", capacityMB: 64),
                        limits: SAM3Limits = SAM3Limits()) throws -> SAM3Service {
        let hub = try HubCacheBuilder.temporaryFolder("hub")
        let folder = FixtureFiles.root.appendingPathComponent("models/sam3-tiny")
        try HubCacheBuilder.place(folder: folder, repoID: repo, in: hub)
        // The same model with only the single graph.
        let copy = URL(fileURLWithPath: try HubCacheBuilder.temporaryFolder("single")).appendingPathComponent("model")
        try FileManager.default.copyItem(at: folder, to: copy)
        for graph in ["vision_encoder", "text_encoder", "decoder"] {
            try FileManager.default.removeItem(at: copy.appendingPathComponent("onnx/\(graph).onnx"))
        }
        try HubCacheBuilder.place(folder: copy, repoID: singleRepo, in: hub)
        return SAM3Service(context: try EngineFixture.context(families: [SAM3Family.erasedLoader], hubCache: hub), cache: cache,
                           encoder: PNGEncoder(), deflater: Zlib(), limits: limits)
    }

    static func manifest() throws -> [String: Any] { try FixtureFiles.json("sam3/manifest.json") }

    /// The original's RLE decoded by its rules: base64 → zlib → uint32 LE runs over the
    /// column-major mask, starting with zeros.
    static func decodeOriginalRLE(_ rle: [String: Any]) throws -> BinaryMask {
        let size = rle["size"] as! [Int]
        let bytes = try Zlib().inflate(try #require(Base64.decode(rle["counts"] as! String)), limit: 64 << 20)
        var columnMajor: [UInt8] = [], value: UInt8 = 0
        for o in stride(from: 0, to: bytes.count, by: 4) {
            let run = Int(UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24)
            columnMajor += [UInt8](repeating: value, count: run)
            value ^= 1
        }
        let h = size[0], w = size[1]
        #expect(columnMajor.count == h * w)
        var pixels = [UInt8](repeating: 0, count: h * w)
        for x in 0..<w { for y in 0..<h { pixels[y * w + x] = columnMajor[x * h + y] } }
        return BinaryMask(width: w, height: h, pixels: pixels)
    }

    static func decodeCOCO(_ counts: String, height: Int, width: Int) -> BinaryMask {
        BinaryMask(width: width, height: height, pixels: COCOMask.decode(counts, height: height, width: width))
    }

    static func iou(_ a: BinaryMask, _ b: BinaryMask) -> Double { COCOMask.iou(a.pixels, b.pixels) }

    static func request(_ image: String, prompts: [String], format: MaskFormat, threshold: Float, repo: String = repo)
        throws -> SAM3Request {
        SAM3Request(images: [ImageInput(source: .bytes(try FixtureFiles.bytes("preprocessing/" + image)))], prompts: prompts,
                    threshold: threshold, maskThreshold: 0.5, outputFormat: format, modelID: repo)
    }

    static func json(_ bytes: [UInt8]) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(bytes)) as! [String: Any]
    }

    @Test(arguments: [SAM3ParityTests.repo, SAM3ParityTests.singleRepo])
    func masksScoresAndBoxesEqualTransformers(repo: String) async throws {
        let service = try Self.service()
        let manifest = try Self.manifest()
        let threshold = Float(manifest["threshold"] as! Double)
        for c in manifest["cases"] as! [[String: Any]] {
            let expected = c["results"] as! [[String: Any]]
            let prompts = expected.map { $0["prompt"] as! String }
            let response = try await service.run(try Self.request(c["image"] as! String, prompts: prompts, format: .rle,
                                                                  threshold: threshold, repo: repo))
            let body = try Self.json(response.json())
            let perPrompt = (body["results"] as! [[[String: Any]]])[0]
            #expect(perPrompt.count == prompts.count)
            for (got, want) in zip(perPrompt, expected) {
                let name = "\(c["image"]!) '\(want["prompt"]!)'"
                #expect(got["prompt"] as? String == want["prompt"] as? String)
                let result = got["result"] as! [String: Any]
                let scores = result["scores"] as! [Double], wantScores = want["scores"] as! [Double]
                #expect(scores.count == wantScores.count, "\(name)")
                guard scores.count == wantScores.count else { continue }
                for (s, e) in zip(scores, wantScores) { #expect(abs(s - e) <= 1e-3, "\(name) score") }
                for (b, e) in zip(result["boxes"] as! [[Double]], want["boxes"] as! [[Double]]) {
                    #expect(zip(b, e).allSatisfy { abs($0 - $1) <= 0.5 }, "\(name) box \(b) vs \(e)")
                }
                for (m, e) in zip(result["masks_rle"] as! [[String: Any]], want["masks_rle"] as! [[String: Any]]) {
                    #expect(m["encoding"] as? String == "rle" && m["size"] as? [Int] == c["shape"] as? [Int])
                    let iou = Self.iou(try Self.decodeOriginalRLE(m), try Self.decodeOriginalRLE(e))
                    #expect(iou >= 0.995, "\(name) mask IoU \(iou)")
                }
            }
        }
    }

    /// Box exemplars (alone, with a text prompt, with a negative box) against transformers'
    /// Sam3Processor(input_boxes=..., input_boxes_labels=...) + post_process_instance_segmentation;
    /// the boxes normalised as the processor does them.
    @Test func boxExemplarsEqualTransformers() async throws {
        let service = try Self.service()
        let manifest = try Self.manifest()
        let threshold = Float(manifest["threshold"] as! Double)
        let cases = manifest["box_cases"] as! [[String: Any]]
        var checked = 0, instances = 0
        for c in cases {
            let boxes = (c["boxes"] as! [[Double]]).map { $0.map(Float.init) }
            let exemplars = BoxExemplars(boxes: boxes, labels: c["box_labels"] as? [Int])
            let shape = c["shape"] as! [Int]
            let normalized = exemplars.normalized(width: shape[1], height: shape[0])
            #expect(zip(normalized, (c["input_boxes"] as! [[Double]]).flatMap { $0 }).allSatisfy { abs(Double($0) - $1) <= 1e-6 },
                    "boxes normalised as Sam3Processor")
            let text = c["text"] as? String
            let request = SAM3Request(images: [ImageInput(source: .bytes(try FixtureFiles.bytes("preprocessing/" + (c["image"] as! String))))],
                                      prompts: text.map { [$0] } ?? [], threshold: threshold, maskThreshold: 0.5,
                                      modelID: Self.repo, exemplars: exemplars)
            let body = try Self.json(try await service.run(request).json())
            let entry = (body["results"] as! [[[String: Any]]])[0]
            #expect(entry.count == 1 && entry[0]["prompt"] as? String == (text ?? "visual"))
            let result = entry[0]["result"] as! [String: Any]
            let scores = result["scores"] as! [Double], want = c["scores"] as! [Double]
            let name = "\(c["image"]!) \(text ?? "boxes only")"
            #expect(scores.count == want.count, "\(name): \(scores.count) instances, transformers \(want.count)")
            for (s, e) in zip(scores, want) { #expect(abs(s - e) <= 1e-3, "\(name) score") }
            for (b, e) in zip(result["boxes"] as! [[Double]], c["boxes_out"] as! [[Double]]) {
                #expect(zip(b, e).allSatisfy { abs($0 - $1) <= 0.5 }, "\(name) box")
            }
            for (m, e) in zip(result["masks_rle"] as! [[String: Any]], c["masks_rle"] as! [[String: Any]]) {
                #expect(Self.iou(try Self.decodeOriginalRLE(m), try Self.decodeOriginalRLE(e)) >= 0.995, "\(name) mask")
            }
            checked += 1
            instances += want.count
        }
        #expect(checked == 3 && instances > 0, "\(checked) cases, \(instances) instances")
    }

    @Test func boxExemplarsAreCheckedAndNeedTheBoxDecoder() async throws {
        let service = try Self.service()
        let image = [ImageInput(source: .bytes(try FixtureFiles.bytes("preprocessing/wide_90x151.png")))]
        func refused(_ exemplars: BoxExemplars, repo: String = Self.repo) async -> String? {
            let error = await #expect(throws: VisionError.self) {
                try await service.run(SAM3Request(images: image, prompts: [], modelID: repo, exemplars: exemplars))
            }
            return error?.category == .badRequest ? error?.message : "not a 400: \(String(describing: error))"
        }
        #expect(await refused(BoxExemplars(boxes: [[10, 10, 5, 20]]))?.contains("x2 > x1") == true)
        #expect(await refused(BoxExemplars(boxes: [[10, 10, 20, 20]], labels: [2]))?.contains("1 (positive) or 0") == true)
        #expect(await refused(BoxExemplars(boxes: [[10, 10, 20, 20]], labels: [1, 0]))?.contains("2 labels for 1 boxes") == true)
        #expect(await refused(BoxExemplars(boxes: [[10, 10, 20, 20]]), repo: Self.singleRepo)?.contains("no box decoder") == true)
        // Decoded from JSON: per-image sets, and an image with neither prompts nor boxes.
        let two = try JSONSerialization.data(withJSONObject: [
            "images": ["aGk=", "aGk="], "boxes": [[[1, 2, 3, 4]], NSNull()]])
        let decoded = try JSONDecoder().decode(SAM3Request.self, from: two)
        #expect(decoded.exemplars(forImage: 0)?.boxes == [[1, 2, 3, 4]] && decoded.exemplars(forImage: 1) == nil)
        #expect(throws: VisionError.self) { try service.validate(decoded, imageCount: 2) }
    }

    @Test func cocoRLEPolygonsPNGAndDenseAgree() async throws {
        let service = try Self.service()
        let manifest = try Self.manifest()
        let c = (manifest["cases"] as! [[String: Any]])[0]
        let want = (c["results"] as! [[String: Any]])[0]
        let shape = c["shape"] as! [Int]
        let threshold = Float(manifest["threshold"] as! Double)
        func masks(_ format: MaskFormat) async throws -> [Any] {
            let r = try await service.run(try Self.request(c["image"] as! String, prompts: [want["prompt"] as! String],
                                                           format: format, threshold: threshold))
            let result = ((try Self.json(r.json())["results"] as! [[[String: Any]]])[0][0])["result"] as! [String: Any]
            return result[format.field] as! [Any]
        }
        let coco = try await masks(.cocoRLE) as! [[String: Any]]
        let dense = try await masks(.dense) as! [[[Int]]]
        let pngs = try await masks(.png) as! [String]
        let polygons = try await masks(.polygons) as! [[[[Int]]]]
        let wantCOCO = want["masks_coco"] as! [String], wantPolygons = want["masks_polygon"] as! [[[[Int]]]]
        #expect(coco.count == wantCOCO.count && dense.count == wantCOCO.count && pngs.count == wantCOCO.count)
        for i in 0..<min(coco.count, wantCOCO.count) {
            let mine = Self.decodeCOCO(coco[i]["counts"] as! String, height: shape[0], width: shape[1])
            let theirs = Self.decodeCOCO(wantCOCO[i], height: shape[0], width: shape[1])
            #expect(Self.iou(mine, theirs) >= 0.995, "COCO RLE \(i)")
            let fromDense = BinaryMask(width: shape[1], height: shape[0], pixels: dense[i].flatMap { $0.map(UInt8.init) })
            #expect(fromDense == mine, "dense \(i)")
            let png = try ImageDecoder().decode(try #require(Base64.decode(pngs[i])), limits: ImageLimits())
            #expect(stride(from: 0, to: png.pixels.count, by: 3).map { png.pixels[$0] / 255 } == mine.pixels, "png \(i)")
            // Polygons: OpenCV's count of external contours with >= 3 points, every vertex on the mask.
            #expect(polygons[i].count == wantPolygons[i].count, "polygons \(i): \(polygons[i].count) vs \(wantPolygons[i].count)")
            for polygon in polygons[i] {
                #expect(polygon.count >= 3)
                #expect(polygon.allSatisfy { mine.pixels[$0[1] * shape[1] + $0[0]] == 1 })
            }
        }
    }

    /// Every instance mask is the image's size: a prompt whose kept instances would hold more mask
    /// pixels than the limit is a 400 naming the threshold, before any mask is made.
    @Test func maskPixelsAreBounded() async throws {
        let service = try Self.service(limits: SAM3Limits(maxMaskPixelsPerPrompt: 37 * 53))
        let error = await #expect(throws: VisionError.self) {
            _ = try await service.run(try Self.request("small_37x53.png", prompts: ["a red cat"], format: .rle, threshold: 0))
        }
        #expect(error?.category == .badRequest && error?.message.contains("raise threshold") == true, "\(String(describing: error))")
        let one = try await Self.service(limits: SAM3Limits(maxMaskPixelsPerPrompt: 10 * 37 * 53))
            .run(try Self.request("small_37x53.png", prompts: ["a red cat"], format: .rle, threshold: 0))
        #expect(one.results[0][0].segmentation.masks.count == 10)
    }

    @Test func repeatedImageHitsTheEmbeddingCache() async throws {
        let cache = ImageEmbeddingCache(family: "sam3", capacityMB: 64)
        let service = try Self.service(cache: cache)
        let first = try await service.run(try Self.request("small_37x53.png", prompts: ["a red cat"], format: .rle, threshold: 0.27))
        let second = try await service.run(try Self.request("small_37x53.png", prompts: ["tree"], format: .rle, threshold: 0.27))
        let again = try await service.run(try Self.request("small_37x53.png", prompts: ["a red cat"], format: .rle, threshold: 0.27))
        let stats = await cache.snapshot()
        #expect(stats.misses == 1 && stats.hits == 2 && stats.entries == 1 && stats.bytes > 0)
        #expect(first.results[0][0].segmentation == again.results[0][0].segmentation)
        #expect(second.results[0][0].prompt == "tree")
    }

    @Test func byteBoundedLRUEvictsTheLeastRecentlyUsed() {
        var lru = ByteBoundedLRU<Int>(capacityBytes: 100)
        #expect(lru.put("a", 1, bytes: 40) == 0 && lru.put("b", 2, bytes: 40) == 0)
        _ = lru.get("a")
        #expect(lru.put("c", 3, bytes: 40) == 1)  // b was least recently used
        #expect(lru.get("b") == nil && lru.get("a") == 1 && lru.get("c") == 3 && lru.totalBytes == 80)
        #expect(lru.put("huge", 4, bytes: 101) == 0 && lru.get("huge") == nil)
    }

    @Test func overlapsGoToTheHighestWeightedScore() {
        let full = BinaryMask(width: 2, height: 1, pixels: [1, 1]), left = BinaryMask(width: 2, height: 1, pixels: [1, 0])
        var segs = [InstanceSegmentation(scores: [0.6], boxes: [[0, 0, 2, 1]], masks: [full]),
                    InstanceSegmentation(scores: [0.5], boxes: [[0, 0, 1, 1]], masks: [left])]
        var weighted = segs
        SAM3PostProcess.resolveOverlaps(&segs, weights: [1, 1])
        #expect(segs[0].masks[0].pixels == [1, 1] && segs[1].masks[0].pixels == [0, 0])
        SAM3PostProcess.resolveOverlaps(&weighted, weights: [1, 2])  // 0.5 × 2 beats 0.6
        #expect(weighted[0].masks[0].pixels == [0, 1] && weighted[1].masks[0].pixels == [1, 0])
    }

    @Test func limitsAreClear400s() async throws {
        let service = try Self.service()
        let image = ImageInput(source: .bytes(try FixtureFiles.bytes("preprocessing/small_37x53.png")))
        let cases: [(SAM3Request, String)] = [
            (SAM3Request(images: [image], prompts: [String](repeating: "cat", count: 33), modelID: Self.repo), "at most 32"),
            (SAM3Request(images: [image], prompts: [String(repeating: "x", count: 201)], modelID: Self.repo), "characters"),
            (SAM3Request(images: [image], prompts: [String(repeating: "a ", count: 40)], modelID: Self.repo), "tokens"),
            (SAM3Request(images: [image], prompts: [], modelID: Self.repo), "at least one"),
            (SAM3Request(images: [image], prompts: ["cat"], resolveOverlaps: .weights([1, 2]), modelID: Self.repo), "weights"),
        ]
        for (request, needle) in cases {
            let error = await #expect(throws: VisionError.self) { try await service.run(request) }
            #expect(error?.category == .badRequest && error?.message.contains(needle) == true, "\(needle): \(error?.message ?? "")")
        }
        // A field outside its declared bounds: a 400 when the request is read.
        let threshold = #expect(throws: VisionError.self) {
            try JSONDecoder().decode(SAM3Request.self, from: Data(#"{"images": ["aGk="], "prompts": ["cat"], "threshold": 1.5}"#.utf8))
        }
        #expect(threshold?.message == "threshold must be between 0 and 1" && threshold?.category == .badRequest)
        let perImage = try JSONDecoder().decode(SAM3Request.self, from: Data(
            #"{"images": ["aGk=", "aGk="], "prompts": [["cat"]], "model_id": "tests/sam3-tiny"}"#.utf8))
        let error = await #expect(throws: VisionError.self) { try await service.run(perImage) }
        #expect(error?.message.contains("one list per image") == true)
    }
}
