import Foundation
import VisionCore

/// Depth Anything V2 (transformers' DepthAnythingForDepthEstimation exports): input
/// `pixel_values`, output `predicted_depth` [N, h, w] at the processed size.
public final class DepthAnythingModel: LoadedModel {
    public let reference: ModelReference
    public let device: ComputeDevice
    public let memoryBytes: Int
    /// "relative" or "metric", from config.json's `depth_estimation_type`.
    public let depthKind: String
    let processor: ImageProcessor
    let session: any InferenceSession

    /// The shipped graph the checkpoint's weights were bound to (nil: the repository's own graph).
    let shippedGraph: String?

    public var statusDetails: [(String, JSONValue)] { [ModelFiles.graphDetail(shippedGraph)] }

    init(reference: ModelReference, processor: ImageProcessor, session: any InferenceSession, memoryBytes: Int,
         depthKind: String, shippedGraph: String? = nil) {
        self.shippedGraph = shippedGraph
        self.reference = reference
        self.processor = processor
        self.session = session
        self.device = session.device
        self.memoryBytes = memoryBytes
        self.depthKind = depthKind
    }

    static func load(snapshot: ModelSnapshot, config: [String: Any], context: ModelLoadContext) throws
        -> DepthAnythingModel {
        let processorConfig = try ModelFiles.imageProcessorConfig(in: snapshot)
        let graph = try ModelFiles.session(
            snapshot, family: .depthAnything, context: context,
            exportCommand: "python3 tools/export/graph_only.py depth_anything <config.json> graphs/<name>")
        let session = graph.session
        guard session.inputs.map(\.name) == ["pixel_values"], session.outputs.map(\.name).contains("predicted_depth") else {
            throw VisionError.modelNotFound(
                "'\(snapshot.reference.repoID)' is not a depth-estimation graph (inputs \(session.inputs.map(\.name)), "
                + "outputs \(session.outputs.map(\.name)))")
        }
        return DepthAnythingModel(reference: snapshot.reference, processor: ImageProcessor(config: processorConfig),
                                  session: session, memoryBytes: graph.bytes,
                                  depthKind: (config["depth_estimation_type"] as? String) ?? "relative",
                                  shippedGraph: graph.shippedGraph)
    }

    /// `pixel_values` of one image (images differ in size, so each runs alone).
    func pixelValues(_ image: RGBImage) -> Tensor {
        processor.processBatch([image]).pixelValues
    }

    /// The predicted depth at the processed size. Blocking: call on an inference thread.
    func depth(_ pixelValues: Tensor) throws -> (values: [Float], height: Int, width: Int) {
        let out = try session.run(["pixel_values": pixelValues], outputNames: ["predicted_depth"])
        guard let depth = out["predicted_depth"], depth.shape.count == 3 else {
            throw VisionError.runtimeFailure("the depth graph did not return predicted_depth [N, H, W]")
        }
        return (depth.floats, depth.shape[1], depth.shape[2])
    }
}
