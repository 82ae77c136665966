import Foundation
import TestSupport
import Testing

/// Community ONNX layouts as optimum writes them (tools/fixtures/make_community_fixtures.py: tiny
/// random models exported by optimum itself, laid out as the onnx-community repositories are),
/// served from the cache over HTTP and compared with what transformers' pipelines answered: the
/// plain graph, external data as `model.onnx_data` and `model.onnx.data`, the `quantized` variant;
/// and a GroundingDINO graph traced at one size, refused at load with a 422 that names why.
@Suite struct CommunityLayoutTests {
    static func models() throws -> [String: [String: Any]] {
        try FixtureFiles.json("community/manifest.json")["models"] as! [String: [String: Any]]
    }

    static func root() throws -> String {
        let root = try HubCacheBuilder.temporaryFolder("root")
        let folder = FixtureFiles.root.appendingPathComponent("community/models")
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            _ = try HubCacheBuilder.place(folder: folder.appendingPathComponent(name), repoID: "community/" + name,
                                          in: root + "/content/hf_cache/hub")
        }
        return root
    }

    func image(_ file: String) throws -> String { try FixtureFiles.data("preprocessing/" + file).base64EncodedString() }

    @Test func optimumExportsGiveThePipelinesAnswers() async throws {
        try await ServerProcess.with(root: try Self.root()) { server in
            var compared = 0, models = 0
            for (key, entry) in try Self.models().sorted(by: { $0.key < $1.key }) where entry["cases"] != nil {
                let name = String(key.prefix { $0 != "@" }), variant = entry["variant"] as? String
                let task = entry["task"] as! String
                // The quantized graph's reference is the same pipeline over that graph (ORT 1.32 in
                // Python); the server's ONNX Runtime may round its int8 kernels differently.
                let tolerance = variant == nil ? 1e-4 : 2e-3
                models += 1
                for c in entry["cases"] as! [[String: Any]] {
                    var body: [String: Any] = ["inputs": try image(c["image"] as! String), "parameters": c["parameters"]!]
                    if let variant { body["variant"] = variant }
                    // Through the Inference API's form: the model in the URL, the task from its config.
                    let reply = try await server.post("/models/community/\(name)", json: body)
                    #expect(reply.status == 200, "\(key): \(reply.text.prefix(300))")
                    let got = try JSONSerialization.jsonObject(with: reply.body) as? [[String: Any]] ?? []
                    let want = c["expected"] as! [[String: Any]]
                    #expect(got.count == want.count, "\(key) \(c["image"]!) \(c["parameters"]!)")
                    for (g, w) in zip(got, want) {
                        #expect(g["label"] as? String == w["label"] as? String, "\(key) \(c["image"]!)")
                        #expect(abs((g["score"] as? Double ?? -1) - (w["score"] as! Double)) <= tolerance, "\(key) \(g) vs \(w)")
                        if task == "object-detection" {
                            let gb = g["box"] as? [String: Int] ?? [:], wb = w["box"] as! [String: Int]
                            for k in ["xmin", "ymin", "xmax", "ymax"] { #expect(abs((gb[k] ?? .min) - wb[k]!) <= 1, "\(key) \(k)") }
                        }
                        compared += 1
                    }
                }
            }
            #expect(models == 4 && compared >= 100, "\(models) models, \(compared) answers compared")
            let cache = try await server.get("/models/cache").json["repositories"] as? [[String: Any]] ?? []
            let vit = cache.first { $0["model_id"] as? String == "community/vit-optimum" }
            let revision = (vit?["revisions"] as? [[String: Any]])?.first
            #expect(revision?["variants"] as? [String] == ["quantized"] && vit?["model_types"] as? [String] == ["image_classification"],
                    "\(vit ?? [:])")
        }
    }

    /// A graph traced at one image size cannot run the load-time probe: refused at load (422), the
    /// detail names the fixed inputs and how to export; no ONNX Runtime text anywhere.
    @Test func aOneSizeGroundingDINOGraphIsRefusedAtLoad() async throws {
        try await ServerProcess.with(root: try Self.root()) { server in
            let load = try await server.post("/models/load", json: ["model_type": "grounding_dino",
                                                                    "model_id": "community/grounding-dino-one-size"])
            let detail = load.json["detail"] as? String ?? ""
            #expect(load.status == 422, "\(load.status) \(load.text.prefix(400))")
            #expect(detail.contains("does not run on a") && detail.contains("fixed at") && detail.contains("pixel_values [1, 3, 160, 160]")
                    && detail.contains("export.py grounding_dino"), "\(detail)")
            let run = try await server.post("/inference/zero-shot-object-detection", json: [
                "inputs": try image("wide_90x151.png"), "parameters": ["candidate_labels": ["a cat"]],
                "model_id": "community/grounding-dino-one-size"])
            #expect(run.status == 422, "\(run.status) \(run.text.prefix(300))")
            let status = try await server.get("/models/status").text
            for text in [detail, run.text, status] {
                for leak in ["Non-zero status", "onnxruntime", "ONNX Runtime:", "Reshape", "node"] {
                    #expect(!text.contains(leak), "'\(leak)' in \(text.prefix(400))")
                }
            }
        }
    }
}
