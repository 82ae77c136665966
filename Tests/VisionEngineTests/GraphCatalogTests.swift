import Foundation
import TestSupport
import Testing
import VisionCore
@testable import VisionEngine

/// Choosing the shipped graph for a checkpoint by its config.json.
@Suite struct GraphCatalogTests {
    /// A catalog folder with two DINOv3 ViT sizes and a Depth Anything V2 graph keyed on its backbone.
    static func catalog() throws -> GraphCatalog {
        let folder = try HubCacheBuilder.temporaryFolder("catalog")
        let graphs: [(String, [String: Any])] = [
            ("dinov3-vits16", ["name": "dinov3-vits16", "family": "dinov3", "architecture": "DINOv3ViTModel",
                               "fields": ["hidden_size": 384, "num_hidden_layers": 12, "num_register_tokens": 4,
                                          "layerscale_value": 1.0, "use_gated_mlp": false],
                               "defaults": ["use_gated_mlp": false, "num_register_tokens": 0]]),
            ("dinov3-vitb16", ["name": "dinov3-vitb16", "family": "dinov3", "architecture": "DINOv3ViTModel",
                               "fields": ["hidden_size": 768, "num_hidden_layers": 12, "num_register_tokens": 4,
                                          "layerscale_value": 1.0, "use_gated_mlp": false]]),
            ("depth-anything-v2-small", ["name": "depth-anything-v2-small", "family": "depth-anything",
                                         "architecture": "DepthAnythingForDepthEstimation",
                                         "fields": ["backbone_config.hidden_size": 384, "fusion_hidden_size": 64]]),
        ]
        for (name, fingerprint) in graphs {
            try FileManager.default.createDirectory(atPath: folder + "/" + name, withIntermediateDirectories: true)
            try JSONSerialization.data(withJSONObject: fingerprint).write(to: URL(fileURLWithPath: folder + "/" + name + "/fingerprint.json"))
        }
        return try GraphCatalog(folder: folder)
    }

    static var vits: [String: Any] { ["architectures": ["DINOv3ViTModel"], "model_type": "dinov3_vit", "hidden_size": 384,
                                      "num_hidden_layers": 12, "num_register_tokens": 4, "layerscale_value": 1,
                                      "use_gated_mlp": false, "initializer_range": 0.02] }

    @Test func aConfigPicksTheGraphWhoseEveryShapingFieldMatches() throws {
        let catalog = try Self.catalog()
        #expect(catalog.graphs.count == 3)
        // 1 and 1.0 are the same value; fields outside the fingerprint (initializer_range) do not matter.
        #expect(try catalog.graph(for: Self.vits, family: "dinov3", repoID: "me/fine-tune", exportCommand: "x").name == "dinov3-vits16")
        var base = Self.vits
        base["hidden_size"] = 768
        #expect(try catalog.graph(for: base, family: "dinov3", repoID: "me/b", exportCommand: "x").name == "dinov3-vitb16")
        let depth: [String: Any] = ["architectures": ["DepthAnythingForDepthEstimation"], "fusion_hidden_size": 64,
                                    "backbone_config": ["hidden_size": 384, "model_type": "dinov2"]]
        #expect(try catalog.graph(for: depth, family: "depth-anything", repoID: "d", exportCommand: "x").name == "depth-anything-v2-small")
    }

    @Test func aConfigOneLayerOffIsA422NamingTheClosestGraphAndTheField() throws {
        let catalog = try Self.catalog()
        var config = Self.vits
        config["num_hidden_layers"] = 11
        let error = #expect(throws: VisionError.self) {
            try catalog.graph(for: config, family: "dinov3", repoID: "me/pruned", exportCommand: "python3 tools/export/export.py me/pruned")
        }
        #expect(error?.category == .unprocessable)
        let text = error?.message ?? ""
        #expect(text.contains("'dinov3-vits16'") && text.contains("num_hidden_layers: 11 here, 12 there")
                && text.contains("python3 tools/export/export.py me/pruned"), "\(text)")
        // Another architecture altogether names what the family serves.
        let other = try #require(#expect(throws: VisionError.self) {
            try catalog.graph(for: ["architectures": ["ConvNextModel"]], family: "dinov3", repoID: "x/y", exportCommand: "e")
        })
        #expect(other.message.contains("ConvNextModel") && other.message.contains("DINOv3ViTModel"), "\(other.message)")
    }

    /// A config.json that omits a field means the config class's default (another transformers
    /// version may not write it).
    @Test func anOmittedFieldHasItsDefault() throws {
        let catalog = try Self.catalog()
        var config = Self.vits
        config["use_gated_mlp"] = nil
        #expect(try catalog.graph(for: config, family: "dinov3", repoID: "old/writer", exportCommand: "e").name == "dinov3-vits16")
        config["num_register_tokens"] = nil
        let error = #expect(throws: VisionError.self) {
            try catalog.graph(for: config, family: "dinov3", repoID: "old/writer", exportCommand: "e")
        }
        #expect(error?.message.contains("num_register_tokens: 0 here, 4 there") == true, "\(error?.message ?? "")")
    }

    @Test func anEmptyOrMissingFolderIsAnEmptyCatalog() throws {
        #expect(try GraphCatalog(folder: "/nonexistent-catalog").graphs.isEmpty)
    }

    /// The checkpoint's own config.json picks the shipped graph; one layer more is a 422 naming it.
    @Test func theCheckpointsConfigPicksTheShippedGraph() throws {
        let catalog = try GraphCatalog(folder: FixtureFiles.root.appendingPathComponent("graphs").path)
        let data = try FixtureFiles.data("binding/dinov3-vit-tiny-checkpoint/config.json")
        var config = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(try catalog.graph(for: config, family: "dinov3", repoID: "me/tiny", exportCommand: "e").name == "dinov3-vit-tiny")
        config["num_hidden_layers"] = 3
        let error = #expect(throws: VisionError.self) {
            try catalog.graph(for: config, family: "dinov3", repoID: "me/deeper", exportCommand: "e")
        }
        #expect(error?.message.contains("num_hidden_layers: 3 here, 2 there") == true, "\(error?.message ?? "")")
    }
}

/// The graphs the server ships (the checkout's graphs/, tools/export/official_graphs.py): each
/// parses, holds no weights of its own, and is named in the catalog with its family.
@Suite struct ShippedGraphsFolderTests {
    /// Per shipped graph: each graph file and the weights it binds at load.
    static let expected: [String: [String: Int]] = [
        "dinov3-vits16": ["model.onnx": 210], "dinov3-vits16plus": ["model.onnx": 234], "dinov3-vitb16": ["model.onnx": 210],
        "dinov3-vitl16": ["model.onnx": 414], "dinov3-vith16plus": ["model.onnx": 614],
        "dinov3-convnext-tiny": ["model.onnx": 180], "dinov3-convnext-small": ["model.onnx": 342],
        "dinov3-convnext-base": ["model.onnx": 342], "dinov3-convnext-large": ["model.onnx": 342],
        "depth-anything-v2-small": ["model.onnx": 282], "depth-anything-v2-base": ["model.onnx": 282],
        "depth-anything-v2-large": ["model.onnx": 498],
        "grounding-dino-tiny": ["model.onnx": 978], "grounding-dino-base": ["model.onnx": 1182],
        "sam3": ["vision_encoder.onnx": 534, "text_encoder.onnx": 390, "decoder.onnx": 439,
                 "box_decoder.onnx": 533],
        "depth-anything-3-small": ["model.onnx": 343], "depth-anything-3-base": ["model.onnx": 343],
        "depth-anything-3-large": ["model.onnx": 543], "depth-anything-3-giant": ["model.onnx": 877],
        "depth-anything-3-metric-large": ["model.onnx": 406], "depth-anything-3-mono-large": ["model.onnx": 406],
        "depth-anything-3-nested-giant-large": ["model.onnx": 877, "metric.onnx": 406],
        "sam2.1-hiera-tiny": ["vision_encoder.onnx": 167, "prompt_encoder_mask_decoder.onnx": 132],
        "sam2.1-hiera-small": ["vision_encoder.onnx": 215, "prompt_encoder_mask_decoder.onnx": 132],
        "sam2.1-hiera-base-plus": ["vision_encoder.onnx": 311, "prompt_encoder_mask_decoder.onnx": 132],
        "sam2.1-hiera-large": ["vision_encoder.onnx": 599, "prompt_encoder_mask_decoder.onnx": 132],
        "sam3-tracker": ["vision_encoder.onnx": 538, "prompt_encoder_mask_decoder.onnx": 132],
    ]

    @Test func everyShippedGraphIsWeightlessAndCatalogued() throws {
        let folder = FixtureFiles.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("graphs").path
        let catalog = try GraphCatalog(folder: folder)
        #expect(catalog.graphs.map(\.name).sorted() == Self.expected.keys.sorted())
        var files = 0
        for graph in catalog.graphs {
            let expected = Self.expected[graph.name] ?? [:]
            // Nothing but the graphs and the fingerprint: a weight file here would be shipped.
            #expect(try FileManager.default.contentsOfDirectory(atPath: graph.folder).sorted()
                    == (expected.keys + ["fingerprint.json"]).sorted(), "\(graph.name)")
            #expect(graph.files.sorted() == expected.keys.sorted(), "\(graph.name)")
            for file in graph.files {
                let initializers = try ONNXInitializers.read(path: graph.folder + "/" + file)
                let external = initializers.filter(\.isExternal)
                #expect(external.count == expected[file], "\(graph.name)/\(file): \(external.count) weights bound at load")
                #expect(initializers.allSatisfy { $0.isWeightOrShape },
                        "\(graph.name)/\(file) carries no weights of its own (only fused attention's int64 shapes)")
                files += 1
            }
            #expect(["dinov3", "depth_anything", "grounding_dino", "sam3", "sam2"].contains(graph.family))
            #expect(!graph.fingerprint.isEmpty)
        }
        #expect(catalog.graphs.count == Self.expected.count && files == Self.expected.values.map(\.count).reduce(0, +))
    }
}
