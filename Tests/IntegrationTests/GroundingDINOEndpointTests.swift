import Foundation
import TestSupport
import Testing

/// `/inference/grounding-dino` and `/inference/zero-shot-object-detection` over real HTTP.
@Suite struct GroundingDINOEndpointTests {
    @Test func detectionsInTheOriginalsShapeAndTheTaskForm() async throws {
        let manifest = try FixtureFiles.json("grounding_dino/manifest.json")
        let c = (manifest["cases"] as! [[String: Any]])[1]
        let names = c["images"] as! [String]
        let images = try names.map { try FixtureFiles.data("preprocessing/" + $0).base64EncodedString() }
        try await ServerProcess.with(root: try rootWithModels()) { server in
            let model = "tests/grounding-dino-tiny"
            let r = try await server.post("/inference/grounding-dino", json: [
                "images": images, "prompts": c["prompts"]!, "box_threshold": c["box_threshold"]!,
                "text_threshold": c["text_threshold"]!, "model_id": model])
            #expect(r.status == 200, "\(r.text.prefix(300))")
            let results = try #require(r.json["results"] as? [[String: Any]])
            let expected = c["results"] as! [[String: Any]]
            #expect(results.count == expected.count)
            for (got, want) in zip(results, expected) {
                #expect(got["labels"] as? [String] == want["labels"] as? [String])
                let gotBoxes = got["boxes"] as? [[Double]] ?? [], wantBoxes = want["boxes"] as! [[Double]]
                #expect(gotBoxes.count == wantBoxes.count)
                for (g, w) in zip(gotBoxes, wantBoxes) { #expect(zip(g, w).allSatisfy { abs($0 - $1) <= 0.5 }) }
            }
            #expect(r.json["model_id"] as? String == model && r.json["processing_time"] is Double)

            let z = manifest["zero_shot"] as! [String: Any]
            let image = try FixtureFiles.data("preprocessing/" + (z["image"] as! String)).base64EncodedString()
            let task = try await server.post("/inference/zero-shot-object-detection", json: [
                "inputs": image, "model_id": model,
                "parameters": ["candidate_labels": z["candidate_labels"]!, "threshold": z["threshold"]!]])
            #expect(task.status == 200, "\(task.text.prefix(300))")
            let list = try #require(try JSONSerialization.jsonObject(with: Data(task.text.utf8)) as? [[String: Any]])
            let wanted = z["results"] as! [[String: Any]]
            #expect(list.map { $0["label"] as? String } == wanted.map { $0["label"] as? String })
            #expect(list.map { $0["box"] as? [String: Int] } == wanted.map { $0["box"] as? [String: Int] })

            let missing = try await server.post("/inference/grounding-dino", json: ["images": images, "model_id": model])
            #expect(missing.status == 422)
            let many = try await server.post("/inference/grounding-dino", json: [
                "images": images, "model_id": model, "prompts": [String](repeating: "cat", count: 100)])
            #expect(many.status == 400 && (many.json["detail"] as? String ?? "").contains("at most 64"))
            let noImage = try await server.post("/inference/zero-shot-object-detection",
                                                json: ["parameters": ["candidate_labels": ["cat"]], "model_id": model])
            #expect(noImage.status == 422)
        }
    }
}
