import Foundation
import TestSupport
import Testing

/// `/inference/sam3` over real HTTP.
@Suite struct SAM3EndpointTests {
    @Test func segmentationInTheOriginalsShape() async throws {
        let manifest = try FixtureFiles.json("sam3/manifest.json")
        let cases = manifest["cases"] as! [[String: Any]]
        let images = try cases.prefix(2).map { try FixtureFiles.data("preprocessing/" + ($0["image"] as! String)).base64EncodedString() }
        try await ServerProcess.with(root: try rootWithModels()) { server in
            let model = "tests/sam3-tiny"
            // One prompt list per image.
            let r = try await server.post("/inference/sam3", json: [
                "images": images, "prompts": [["a red cat", "dog"], ["tree"]], "threshold": manifest["threshold"]!,
                "model_id": model])
            #expect(r.status == 200, "\(r.text.prefix(300))")
            let results = try #require(r.json["results"] as? [[[String: Any]]])
            #expect(results.map(\.count) == [2, 1])
            // Every image × prompt answers with its own prompt's detections (image 1 has its own list).
            let sent = [["a red cat", "dog"], ["tree"]]
            for (i, prompts) in sent.enumerated() {
                let want = cases[i]["results"] as! [[String: Any]]
                for (j, prompt) in prompts.enumerated() {
                    #expect(results[i][j]["prompt_index"] as? Int == j && results[i][j]["prompt"] as? String == prompt)
                    let expected = try #require(want.first { $0["prompt"] as? String == prompt })
                    let scores = (results[i][j]["result"] as? [String: Any])?["scores"] as? [Double] ?? [-1]
                    #expect(scores.count == (expected["scores"] as! [Double]).count, "image \(i) '\(prompt)'")
                }
            }
            let first = results[0][0]
            let result = try #require(first["result"] as? [String: Any])
            let expected = (cases[0]["results"] as! [[String: Any]])[0]
            #expect((result["scores"] as? [Double])?.count == (expected["scores"] as! [Double]).count)
            let rle = try #require((result["masks_rle"] as? [[String: Any]])?.first)
            #expect(rle["encoding"] as? String == "rle" && rle["size"] as? [Int] == cases[0]["shape"] as? [Int])
            #expect((results[0][1]["result"] as? [String: Any])?["scores"] as? [Double] == [])  // "dog" finds nothing
            #expect(r.json["model_id"] as? String == model)

            let polygons = try await server.post("/inference/sam3", json: [
                "images": [images[0]], "prompts": ["a red cat"], "threshold": manifest["threshold"]!,
                "output_format": "polygons", "resolve_overlaps": true, "model_id": model])
            let polygonResult = (polygons.json["results"] as? [[[String: Any]]])?[0][0]["result"] as? [String: Any]
            #expect((polygonResult?["masks_polygon"] as? [Any])?.count == (expected["scores"] as! [Double]).count)

            let health = try await server.get("/health")
            let cache = try #require(health.json["sam3_embedding_cache"] as? [String: Any])
            #expect(cache["hits"] as? Int == 1 && cache["misses"] as? Int == 2, "\(cache)")
            let metrics = try await server.get("/metrics")
            #expect(metrics.text.contains("vma_sam3_embedding_cache_hits_total 1"))

            let bad = try await server.post("/inference/sam3", json: [
                "images": [images[0]], "prompts": ["cat"], "output_format": "svg", "model_id": model])
            #expect(bad.status == 422)
            let tooMany = try await server.post("/inference/sam3", json: [
                "images": [images[0]], "prompts": [String](repeating: "cat", count: 40), "model_id": model])
            #expect(tooMany.status == 400 && (tooMany.json["detail"] as? String ?? "").contains("at most 32"))
        }
    }

    /// Box exemplars over HTTP, as Sam3Processor(input_boxes=..., input_boxes_labels=...) takes them.
    @Test func boxExemplarsOverHTTP() async throws {
        let manifest = try FixtureFiles.json("sam3/manifest.json")
        let cases = manifest["box_cases"] as! [[String: Any]]
        try await ServerProcess.with(root: try rootWithModels()) { server in
            for c in cases {
                let image = try FixtureFiles.data("preprocessing/" + (c["image"] as! String)).base64EncodedString()
                var body: [String: Any] = ["images": [image], "boxes": c["boxes"]!, "box_labels": c["box_labels"]!,
                                           "threshold": manifest["threshold"]!, "model_id": "tests/sam3-tiny"]
                if let text = c["text"] as? String { body["prompts"] = [text] }
                let r = try await server.post("/inference/sam3", json: body)
                #expect(r.status == 200, "\(r.text.prefix(300))")
                let entry = try #require((r.json["results"] as? [[[String: Any]]])?.first?.first)
                #expect(entry["prompt"] as? String == (c["text"] as? String ?? "visual"))
                let scores = (entry["result"] as? [String: Any])?["scores"] as? [Double]
                #expect(scores?.count == (c["scores"] as! [Double]).count)
            }
            let image = try FixtureFiles.data("preprocessing/wide_90x151.png").base64EncodedString()
            let bad = try await server.post("/inference/sam3", json: ["images": [image], "boxes": [[1, 2, 3]], "model_id": "tests/sam3-tiny"])
            #expect(bad.status == 400 && (bad.json["detail"] as? String ?? "").contains("[x1, y1, x2, y2]"), "\(bad.text)")
            let none = try await server.post("/inference/sam3", json: ["images": [image], "model_id": "tests/sam3-tiny"])
            #expect(none.status == 422 && (none.json["detail"] as? String ?? "").contains("prompts"), "\(none.text)")
        }
    }
}
