import Foundation
import TestSupport
import Testing

/// `/inference/dinov3` over real HTTP against transformers' outputs.
@Suite struct DINOv3EndpointTests {
    static func decodeBase64Floats(_ object: [String: Any]) -> (shape: [Int], values: [Float]) {
        let data = Data(base64Encoded: object["data"] as! String)!
        let values = data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
        return (object["shape"] as! [Int], values)
    }

    static func flatten(_ value: Any) -> [Float] {
        if let n = value as? NSNumber { return [n.floatValue] }
        return (value as! [Any]).flatMap(flatten)
    }

    @Test func featuresEqualTransformersInBothEncodings() async throws {
        let manifest = try FixtureFiles.json("dinov3/manifest.json")
        try await ServerProcess.with(root: try rootWithModels()) { server in
            for model in manifest["models"] as! [[String: Any]] {
                let name = model["name"] as! String
                for batch in model["batches"] as! [[String: Any]] {
                    let images = try (batch["images"] as! [String]).map {
                        try FixtureFiles.data("preprocessing/" + $0).base64EncodedString()
                    }
                    for format in ["list", "base64"] {
                        let sent = ContinuousClock.now
                        let reply = try await server.post("/inference/dinov3", json: [
                            "images": images, "model_id": "tests/\(name)", "tensor_format": format,
                        ])
                        let elapsed = ContinuousClock.now - sent
                        #expect(reply.status == 200, "\(reply.text.prefix(300))")
                        let body = reply.json
                        let features = try #require(body["features"] as? [String: Any])
                        #expect(body["model_id"] as? String == "tests/\(name)")
                        // The server's own time: some, and no more than the round trip took.
                        let took = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                        let time = body["processing_time"] as? Double ?? -1
                        #expect(time > 0 && time <= took, "processing_time \(time) s, round trip \(took) s")
                        for key in ["last_hidden_state", "pooler_output"] {
                            let shape = batch[key + "_shape"] as! [Int]
                            #expect(features[key + "_shape"] as? [Int] == shape)
                            let values: [Float]
                            if format == "base64" {
                                let decoded = Self.decodeBase64Floats(features[key] as! [String: Any])
                                #expect(decoded.shape == shape)
                                values = decoded.values
                            } else {
                                values = Self.flatten(features[key]!)
                            }
                            let expected = try FixtureFiles.floats("dinov3/" + (batch[key] as! String))
                            #expect(values.count == expected.count)
                            let maxDiff = zip(values, expected).map { abs($0 - $1) }.max() ?? .infinity
                            #expect(maxDiff <= 1e-4, "\(name) \(key) \(format): \(maxDiff)")
                        }
                    }
                }
            }
            let status = try await server.get("/models/status").json
            let dinov3 = try #require((status["models"] as? [String: Any])?["dinov3"] as? [String: Any])
            #expect(dinov3["loaded"] as? Bool == true && dinov3["state"] as? String == "ready")
            #expect((status["instances"] as? [Any])?.count == 2)
            #expect(dinov3["model_id"] as? String == "tests/dinov3-convnext-tiny", "the most recently used")
            #expect((dinov3["memory_mb"] as? Double ?? 0) > 0)
            #expect(try await server.get("/health").json["loaded_models"] as? [String] == ["dinov3"])
        }
    }

    @Test func modelLifecycleThroughTheAPI() async throws {
        try await ServerProcess.with(root: try rootWithModels(), environment: ["EXECUTION_PROVIDER": "auto"]) { server in
            let load = try await server.post("/models/load", json: ["model_type": "dinov3", "model_id": "tests/dinov3-vit-tiny"])
            #expect(load.status == 200)
            #expect(load.json["status"] as? String == "loaded")
            #expect(load.json["device"] as? String == "cpu")
            // EXECUTION_PROVIDER=auto (the default): /health says whether OpenVINO can be used here,
            // and the model's row names its graph, the provider it runs on and why.
            let providers = try #require(try await server.get("/health").json["execution_providers"] as? [String: String])
            #expect(providers["cpu"] == "available" && providers["openvino"]?.isEmpty == false)
            let rows = try #require(try await server.get("/models/status").json["instances"] as? [[String: Any]])
            let placements = try #require(rows.first { $0["model_id"] as? String == "tests/dinov3-vit-tiny" }?["execution_providers"]
                as? [[String: Any]])
            #expect(placements.map { $0["graph"] as? String } == ["onnx/model.onnx"])
            let placement = try #require(placements.first)
            #expect(["cpu", "openvino"].contains(placement["provider"] as? String ?? ""))
            #expect((placement["reason"] as? String)?.hasPrefix("auto") == true, "\(placement)")
            if providers["openvino"]?.hasPrefix("available") != true {
                #expect(placement["provider"] as? String == "cpu" && placement["deciding"] as? Bool == false)
            } else {
                // Both providers timed on the first runs (a warm-up and 3 each), then one is kept.
                let image = try FixtureFiles.data("preprocessing/wide_90x151.png").base64EncodedString()
                for _ in 0..<8 {
                    let reply = try await server.post("/inference/dinov3", json: ["images": [image], "model_id": "tests/dinov3-vit-tiny"])
                    #expect(reply.status == 200)
                }
                let decided = try #require(try await server.get("/models/status").json["instances"] as? [[String: Any]])
                    .first { $0["model_id"] as? String == "tests/dinov3-vit-tiny" }?["execution_providers"] as? [[String: Any]]
                #expect(decided?.first?["deciding"] as? Bool == false, "\(decided ?? [])")
                #expect((decided?.first?["reason"] as? String)?.contains("median of 3 runs") == true, "\(decided ?? [])")
            }
            let unload = try await server.post("/models/unload", json: ["model_type": "dinov3"])
            #expect(unload.json["status"] as? String == "unloaded")
            #expect(unload.json["unloaded"] as? [String] == ["tests/dinov3-vit-tiny"])
            let again = try await server.post("/models/unload", json: ["model_type": "dinov3"])
            #expect(again.json["status"] as? String == "not_loaded")
            _ = try await server.post("/models/load", json: ["model_type": "dinov3", "model_id": "tests/dinov3-vit-tiny"])
            _ = try await server.post("/models/load", json: ["model_type": "dinov3", "model_id": "tests/dinov3-convnext-tiny"])
            let byID = try await server.post("/models/unload", json: ["model_id": "tests/dinov3-convnext-tiny"])
            #expect(byID.json["unloaded"] as? [String] == ["tests/dinov3-convnext-tiny"])
            let all = try await server.post("/models/unload-all", json: [:] as [String: String])
            #expect(all.json["model_types"] as? [String] == ["dinov3"])
            #expect(try await server.get("/health").json["loaded_models"] as? [String] == [])
        }
    }
}
