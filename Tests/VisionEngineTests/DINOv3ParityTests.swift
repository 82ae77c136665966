import Foundation
import ImageCodecs
import Logging
import HubCache
import ONNXRuntimeAdapter
import TestSupport
import Testing
import VisionCore
@testable import VisionEngine

/// Features from exported tiny DINOv3 models (ViT and ConvNeXt), served from a hub-cache layout,
/// against what transformers computed on the same PNG files (tools/fixtures/make_dinov3_fixtures.py).
@Suite struct DINOv3ParityTests {
    @Test func featuresMatchTransformers() async throws {
        let hub = try HubCacheBuilder.temporaryFolder("hub")
        let manifest = try FixtureFiles.json("dinov3/manifest.json")
        let service = DINOv3Service(context: try EngineFixture.context(families: [DINOv3Family.erasedLoader], hubCache: hub))
        var compared = 0
        for model in manifest["models"] as! [[String: Any]] {
            let name = model["name"] as! String
            try HubCacheBuilder.place(folder: FixtureFiles.root.appendingPathComponent(model["folder"] as! String),
                                      repoID: "tests/\(name)", in: hub)
            for batch in model["batches"] as! [[String: Any]] {
                let images = try (batch["images"] as! [String]).map {
                    ImageInput(source: .bytes(try FixtureFiles.bytes("preprocessing/" + $0)))
                }
                let response = try await service.run(DINOv3Request(images: images, modelID: "tests/\(name)"))
                for (key, tensor) in [("last_hidden_state", response.lastHiddenState), ("pooler_output", response.poolerOutput)] {
                    #expect(tensor.shape == batch[key + "_shape"] as! [Int], "\(name) \(key) shape")
                    let expected = try FixtureFiles.floats("dinov3/" + (batch[key] as! String))
                    let maxDiff = zip(tensor.floats, expected).map { abs($0 - $1) }.max() ?? .infinity
                    #expect(maxDiff <= 1e-4, "\(name) \(key): max difference \(maxDiff)")
                    compared += 1
                }
                #expect(response.modelID == "tests/\(name)")
            }
        }
        #expect(compared == 8)
    }
}
