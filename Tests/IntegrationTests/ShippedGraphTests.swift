import Foundation
import TestSupport
import Testing

/// A checkpoint as transformers writes it (config.json + model.safetensors, no onnx/ folder, no
/// export) served over HTTP through a shipped graph (GRAPHS_DIR), as issue 26 asks of the official
/// checkpoints; a configuration no shipped graph fits is a 422 naming the difference.
@Suite struct ShippedGraphTests {
    /// A folder holding the tiny DINOv3 checkpoint as save_pretrained wrote it, with `layers`
    /// layers in its config.json, and the processor config.
    static func checkpointFolder(layers: Int) throws -> String {
        let fm = FileManager.default
        let folder = try HubCacheBuilder.temporaryFolder("checkpoint")
        let checkpoint = FixtureFiles.root.appendingPathComponent("binding/dinov3-vit-tiny-checkpoint")
        try fm.copyItem(atPath: checkpoint.appendingPathComponent("model.safetensors").path, toPath: folder + "/model.safetensors")
        try fm.copyItem(atPath: FixtureFiles.root.appendingPathComponent("models/dinov3-vit-tiny/preprocessor_config.json").path,
                        toPath: folder + "/preprocessor_config.json")
        var config = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: checkpoint.appendingPathComponent("config.json"))) as? [String: Any])
        config["num_hidden_layers"] = layers
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: folder + "/config.json"))
        return folder
    }

    /// A cache root holding the tiny DINOv3 checkpoint as `me/dinov3-tiny`, and a copy one layer
    /// deeper as `me/dinov3-deeper`.
    static func root() throws -> String {
        let root = try HubCacheBuilder.temporaryFolder("root")
        let hub = root + "/content/hf_cache/hub"
        for (id, layers) in [("me/dinov3-tiny", 2), ("me/dinov3-deeper", 3)] {
            _ = try HubCacheBuilder.place(folder: URL(fileURLWithPath: try checkpointFolder(layers: layers)), repoID: id, in: hub)
        }
        return root
    }

    @Test func aCheckpointWithoutGraphsIsServedThroughTheShippedGraph() async throws {
        let image = try FixtureFiles.data("preprocessing/wide_90x151.png").base64EncodedString()
        try await ServerProcess.with(root: try Self.root(), environment: [
            "GRAPHS_DIR": FixtureFiles.root.appendingPathComponent("graphs").path]) { server in
            let served = try await server.post("/inference/dinov3", json: ["images": [image], "model_id": "me/dinov3-tiny"])
            #expect(served.status == 200, "\(served.text.prefix(400))")
            let features = served.json["features"] as? [String: Any]
            // 1 CLS + 4 registers + 14 × 14 patches of 32 features.
            #expect(features?["last_hidden_state_shape"] as? [Int] == [1, 201, 32], "\(served.text.prefix(300))")
            #expect(features?["pooler_output_shape"] as? [Int] == [1, 32])
            let status = try await server.get("/models/status").text
            #expect(status.contains("shipped:dinov3-vit-tiny"), "\(status.prefix(600))")

            let variant = try await server.post("/inference/dinov3", json: ["images": [image], "model_id": "me/dinov3-tiny",
                                                                            "variant": "quantized"])
            #expect(variant.status == 400 && (variant.json["detail"] as? String ?? "").contains("full precision"), "\(variant.text)")

            let deeper = try await server.post("/inference/dinov3", json: ["images": [image], "model_id": "me/dinov3-deeper"])
            let detail = deeper.json["detail"] as? String ?? ""
            #expect(deeper.status == 422, "\(deeper.status) \(deeper.text.prefix(300))")
            #expect(detail.contains("'dinov3-vit-tiny'") && detail.contains("num_hidden_layers: 3 here, 2 there")
                    && detail.contains("graph_only.py"), "\(detail)")
        }
    }

    /// From the hub: a checkpoint-only repository is downloaded (companions, then the weights) and
    /// served through the shipped graph; one no graph fits is refused from its config.json before
    /// its weights are downloaded.
    @Test(arguments: [2, 3])
    func aCheckpointOnlyRepositoryIsDownloadedOnlyWhenAGraphFits(layers: Int) async throws {
        let hub = try MockHub(folder: URL(fileURLWithPath: try Self.checkpointFolder(layers: layers)))
        try await hub.start()
        defer { hub.stop() }
        let root = try HubCacheBuilder.temporaryFolder("root")
        let image = try FixtureFiles.data("preprocessing/wide_90x151.png").base64EncodedString()
        try await ServerProcess.with(root: root, environment: [
            "HF_ENDPOINT": hub.endpoint, "HF_HUB_OFFLINE": "0",
            "GRAPHS_DIR": FixtureFiles.root.appendingPathComponent("graphs").path]) { server in
            let reply = try await server.post("/inference/dinov3", json: ["images": [image], "model_id": "org/model"])
            let weights = try #require(hub.file("model.safetensors"))
            let blob = root + "/content/hf_cache/hub/models--org--model/blobs/" + weights.etag
            if layers == 2 {
                #expect(reply.status == 200, "\(reply.text.prefix(300))")
                #expect(FileManager.default.contents(atPath: blob) == Data(weights.bytes))
            } else {
                #expect(reply.status == 422 && (reply.json["detail"] as? String ?? "").contains("num_hidden_layers"),
                        "\(reply.status) \(reply.text.prefix(300))")
                #expect(!FileManager.default.fileExists(atPath: blob), "the weights were not downloaded")
            }
        }
    }
}
