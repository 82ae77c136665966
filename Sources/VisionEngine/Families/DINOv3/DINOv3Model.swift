import Foundation
import VisionCore

/// A DINOv3 feature extractor (ViT or ConvNeXt export): input `pixel_values`, outputs
/// `last_hidden_state` and `pooler_output`.
public final class DINOv3Model: LoadedModel {
    public let reference: ModelReference
    public let device: ComputeDevice
    public let memoryBytes: Int
    let processor: ImageProcessor
    let session: any InferenceSession
    /// The shipped graph the checkpoint's weights were bound to (nil: the repository's own graph).
    let shippedGraph: String?

    init(reference: ModelReference, processor: ImageProcessor, session: any InferenceSession, memoryBytes: Int,
         shippedGraph: String? = nil) {
        self.reference = reference
        self.processor = processor
        self.session = session
        self.device = session.device
        self.memoryBytes = memoryBytes
        self.shippedGraph = shippedGraph
    }

    public var statusDetails: [(String, JSONValue)] { [ModelFiles.graphDetail(shippedGraph)] }

    /// DINOv3's own processors (`DINOv3ViTImageProcessorFast`) rescale to [0, 1] before they
    /// resize, where other processors resize the 8-bit image.
    static func processorRules(_ config: ImageProcessorConfig) -> ImageProcessorConfig {
        var config = config
        if config.processorClass?.hasPrefix("DINOv3") == true { config.rescaleBeforeResize = true }
        return config
    }

    static func load(snapshot: ModelSnapshot, context: ModelLoadContext) throws -> DINOv3Model {
        let config = processorRules(try ModelFiles.imageProcessorConfig(in: snapshot))
        let graph = try ModelFiles.session(snapshot, family: .dinov3, context: context,
                                           exportCommand: "python3 tools/export/graph_only.py dinov3 <config.json> graphs/<name>")
        let session = graph.session
        let inputNames = session.inputs.map(\.name), outputNames = session.outputs.map(\.name)
        guard inputNames == ["pixel_values"],
              outputNames.contains("last_hidden_state"), outputNames.contains("pooler_output") else {
            throw VisionError.modelNotFound(
                "'\(snapshot.reference.repoID)' is not a DINOv3 feature-extraction graph (inputs \(inputNames), outputs \(outputNames))")
        }
        return DINOv3Model(reference: snapshot.reference, processor: ImageProcessor(config: config),
                           session: session, memoryBytes: graph.bytes, shippedGraph: graph.shippedGraph)
    }

    /// The batch's `pixel_values`. Blocking CPU work: call on a decode/preprocess thread.
    func pixelValues(_ images: [RGBImage]) -> Tensor {
        processor.processBatch(images).pixelValues
    }

    /// Runs the graph on one batch. Blocking: call on an inference thread.
    func features(_ pixelValues: Tensor) throws -> (lastHiddenState: Tensor, poolerOutput: Tensor) {
        let out = try session.run(["pixel_values": pixelValues], outputNames: ["last_hidden_state", "pooler_output"])
        guard let hidden = out["last_hidden_state"], let pooled = out["pooler_output"] else {
            throw VisionError.runtimeFailure("the DINOv3 graph did not return its outputs")
        }
        return (hidden, pooled)
    }
}
