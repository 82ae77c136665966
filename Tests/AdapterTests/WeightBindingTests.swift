import Foundation
import TestSupport
import Testing
import VisionCore
@testable import ONNXRuntimeAdapter

/// A graph that ships without its weights, bound at load to a safetensors checkpoint's tensors
/// (Tests/Fixtures/binding, made by tools/fixtures/make_binding_fixtures.py): the weights are
/// mapped, not copied, when stored as F32, widened from F16 and BF16 otherwise, read from one
/// file or from shards; the output is numpy's on the same stored values.
@Suite struct WeightBindingTests {
    struct Expected: Decodable {
        let x: [Float]
        let y: [Float]
        let stored: [String: [Float]]
        let dtypes: [String: String]
    }

    static let expected = Result { try JSONDecoder().decode(Expected.self, from: FixtureFiles.data("binding/expected.json")) }
    static func folder(_ sub: String = "") -> String { FixtureFiles.root.appendingPathComponent("binding" + sub).path }

    @Test(arguments: ["", "/sharded"])
    func aCheckpointBindsToTheGraphsInitializers(layout: String) throws {
        let expected = try Self.expected.get()
        let checkpoint = try SafetensorsCheckpoint(folder: Self.folder(layout))
        #expect(checkpoint.names == expected.stored.keys.sorted())
        #expect(checkpoint.files.count == (layout.isEmpty ? 1 : 2))
        var weights: [String: WeightBuffer] = [:]
        for name in checkpoint.names {
            let weight = try checkpoint.float32(name)
            let values = Array(weight.bytes.bindMemory(to: Float.self))
            #expect(values == expected.stored[name], "\(name) (\(expected.dtypes[name] ?? "?")) as stored")
            weights[name] = weight
        }
        #expect(weights.count == 3)
        // F32 is a view into the mapped file, not a copy.
        let dense = try #require(weights["encoder.dense.weight"])
        #expect(dense.owner is MappedFile)
        #expect(weights["encoder.dense.bias"]?.owner is MappedFile == false)

        let session = try ONNXRuntimeTests.runtime.get().makeSession(
            modelPath: Self.folder() + "/graph.onnx", options: SessionOptions(intraOpThreads: 1), weights: weights)
        let out = try session.run(["x": .float32(expected.x, shape: [2, 4])], outputNames: ["y"])
        let y = try #require(out["y"]).floats
        #expect(y.count == expected.y.count)
        for (a, b) in zip(y, expected.y) { #expect(abs(a - b) <= 1e-5 * max(1, abs(b)), "\(a) vs \(b)") }
    }

    /// The graph's weightless initializers are read from its protobuf, and a checkpoint is checked
    /// against them before anything is bound: a missing or misshapen tensor is named.
    @Test func theCheckpointIsCheckedAgainstTheGraph() throws {
        let graph = try ONNXInitializers.read(path: Self.folder() + "/graph.onnx")
        #expect(graph == [
            GraphInitializer(name: "encoder.dense.weight", dims: [4, 3], dataType: 1, isExternal: true),
            GraphInitializer(name: "encoder.dense.bias", dims: [3], dataType: 1, isExternal: true),
            GraphInitializer(name: "encoder.scale", dims: [3], dataType: 1, isExternal: true),
        ])
        let checkpoint = try SafetensorsCheckpoint(folder: Self.folder())
        let weights = try WeightPlan.bind(graph: graph, checkpoint: checkpoint)
        #expect(weights.keys.sorted() == checkpoint.names)
        // Another architecture: one weight under another name, one of another shape.
        let other = [
            GraphInitializer(name: "encoder.dense.weight", dims: [3, 4], dataType: 1, isExternal: true),
            GraphInitializer(name: "encoder.layernorm.weight", dims: [3], dataType: 1, isExternal: true),
            GraphInitializer(name: "encoder.scale", dims: [3], dataType: 1, isExternal: true),
        ]
        let error = #expect(throws: VisionError.self) { try WeightPlan.bind(graph: other, checkpoint: checkpoint) }
        let text = String(describing: error)
        #expect(text.contains("'encoder.layernorm.weight'") && text.contains("[4, 3] in the checkpoint, [3, 4] in the graph"), "\(text)")
        // A graph's weights in the file itself (an ordinary export) need nothing from a checkpoint.
        let types = try ONNXInitializers.read(path: FixtureFiles.root.appendingPathComponent("codecs/types.onnx").path)
        let vit = try ONNXInitializers.read(path: FixtureFiles.root.appendingPathComponent("models/dinov3-vit-tiny/onnx/model.onnx").path)
        #expect(vit.count > 10 && vit.allSatisfy { !$0.isExternal && !$0.name.isEmpty }, "\(vit.count) initializers")
        #expect(types.allSatisfy { !$0.isExternal })
        #expect(try WeightPlan.bind(graph: types, checkpoint: checkpoint).isEmpty)
    }

    /// Without its weights the graph does not load (they are not in it): binding is what makes it run.
    @Test func theGraphAloneHasNoWeights() throws {
        #expect(throws: VisionError.self) {
            try ONNXRuntimeTests.runtime.get().makeSession(modelPath: Self.folder() + "/graph.onnx",
                                                            options: SessionOptions(intraOpThreads: 1))
        }
    }

    /// Damaged checkpoints are a clear error naming the file, never a crash.
    @Test func aDamagedCheckpointIsRefusedWithItsReason() throws {
        let folder = try HubCacheBuilder.temporaryFolder("bad-safetensors")
        let good = try FixtureFiles.data("binding/model.safetensors")
        let cases: [(String, Data)] = [
            ("shorter than its header", Data([1, 2, 3])),
            ("header length", Data(repeating: 0xff, count: 16)),
            ("lies outside the file", good.prefix(good.count - 4)),
        ]
        for (reason, bytes) in cases {
            let path = folder + "/model.safetensors"
            try bytes.write(to: URL(fileURLWithPath: path))
            let error = #expect(throws: VisionError.self) { try SafetensorsCheckpoint(folder: folder) }
            #expect(String(describing: error).contains(reason) && String(describing: error).contains("model.safetensors"),
                    "\(String(describing: error))")
            #expect(!String(describing: error).contains(folder), "no server path")
        }
        #expect(cases.count == 3)
        let empty = try HubCacheBuilder.temporaryFolder("no-safetensors")
        #expect(throws: VisionError.self) { try SafetensorsCheckpoint(folder: empty) }
    }
}

/// The tiny DINOv3 ViT as issue 26 serves official checkpoints: its shipped graph (made from
/// random weights that are not shipped) bound to a checkpoint that transformers' own
/// save_pretrained wrote with OTHER random weights gives transformers' outputs on those weights.
/// Fixtures: tools/fixtures/make_graph_binding_fixtures.py.
@Suite struct ShippedGraphBindingTests {
    /// The tiny fixture `name`'s shipped graph with its checkpoint's weights bound, the weights, and
    /// the pixel values the fixture script fed it (`(i * 7919 mod 1000) / 500 - 1`) for `shape`.
    static func bound(_ name: String, shape: [Int]) throws
        -> (graph: [GraphInitializer], weights: [String: WeightBuffer], session: any InferenceSession, pixels: Tensor) {
        let graphPath = FixtureFiles.root.appendingPathComponent("graphs/\(name)/model.onnx").path
        let graph = try ONNXInitializers.read(path: graphPath)
        let checkpoint = try SafetensorsCheckpoint(folder: FixtureFiles.root.appendingPathComponent("binding/\(name)-checkpoint").path)
        let weights = try WeightPlan.bind(graph: graph, checkpoint: checkpoint)
        let session = try ONNXRuntimeTests.runtime.get().makeSession(
            modelPath: graphPath, options: SessionOptions(intraOpThreads: 1), weights: weights)
        let pixels = (0..<shape.reduce(1, *)).map { i in Float((i * 7919) % 1000) / 500 - 1 }
        return (graph, weights, session, .float32(pixels, shape: shape))
    }

    struct Expected: Decodable {
        let shape: [Int]
        let last_hidden_state_shape: [Int]
        let last_hidden_state: [Float]
        let pooler_output: [Float]
    }

    @Test func aSavePretrainedCheckpointOnTheShippedGraphGivesTransformersOutputs() throws {
        let expected = try JSONDecoder().decode(Expected.self, from: FixtureFiles.data("binding/dinov3-vit-tiny-expected.json"))
        let (graph, weights, session, pixels) = try Self.bound("dinov3-vit-tiny", shape: expected.shape)
        #expect(graph.filter(\.isExternal).count == 40 && graph.allSatisfy { $0.isWeightOrShape },
                "the shipped graph holds no weights, only the fused attention's int64 shapes")
        #expect(weights.count == 40)
        #expect(weights.values.allSatisfy { $0.owner is MappedFile }, "float32 checkpoints are mapped, never copied")
        let out = try session.run(["pixel_values": pixels], outputNames: [])
        let hidden = try #require(out["last_hidden_state"])
        #expect(hidden.shape == expected.last_hidden_state_shape)
        let pooled = try #require(out["pooler_output"]).floats
        var worst: Float = 0
        for (a, b) in Array(zip(hidden.floats, expected.last_hidden_state)) + Array(zip(pooled, expected.pooler_output)) {
            worst = max(worst, abs(a - b))
        }
        #expect(hidden.floats.count == expected.last_hidden_state.count && pooled.count == expected.pooler_output.count)
        #expect(worst <= 1e-4, "max |bound graph - transformers| = \(worst)")
    }

    struct DepthExpected: Decodable {
        let shape: [Int]
        let predicted_depth_shape: [Int]
        let predicted_depth: [Float]
    }

    /// The same for the tiny Depth Anything V2 (any image size: its graph's height and width are free).
    @Test func aDepthAnythingCheckpointOnItsShippedGraphGivesTransformersDepth() throws {
        let expected = try JSONDecoder().decode(DepthExpected.self, from: FixtureFiles.data("binding/depth-anything-v2-tiny-expected.json"))
        let (_, weights, session, pixels) = try Self.bound("depth-anything-v2-tiny", shape: expected.shape)
        #expect(weights.count == 138)
        let depth = try #require(try session.run(["pixel_values": pixels], outputNames: ["predicted_depth"])["predicted_depth"])
        #expect(depth.shape == expected.predicted_depth_shape)
        let scale = max(1, expected.predicted_depth.map(abs).max() ?? 1)
        let worst = zip(depth.floats, expected.predicted_depth).map { abs($0 - $1) }.max() ?? .infinity
        #expect(depth.floats.count == expected.predicted_depth.count && worst <= 1e-4 * scale, "max diff \(worst)")
    }
}
