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

    init(reference: ModelReference, processor: ImageProcessor, session: any InferenceSession, memoryBytes: Int,
         depthKind: String) {
        self.reference = reference
        self.processor = processor
        self.session = session
        self.device = session.device
        self.memoryBytes = memoryBytes
        self.depthKind = depthKind
    }

    /// The family registration; the default model is the original's.
    /// Depth Anything V2 and V3 share the slot; config.json tells them apart.
    public static let family = ModelFamily(type: .depthAnything, defaultModelID: "depth-anything/da3-base") {
        snapshot, context in
        let configData = FileManager.default.contents(atPath: snapshot.path("config.json"))
        let config = configData.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
        if DepthAnything3Model.isExport(config) {
            return try DepthAnything3Model.load(snapshot: snapshot, config: config, context: context)
        }
        if config["model_name"] != nil {
            throw VisionError.modelNotFound(
                "'\(snapshot.reference.repoID)' holds Depth Anything 3 PyTorch weights without the project's ONNX export; "
                + "export it once with: python3 tools/export/export.py depth_anything_3 --from-hub "
                + "\(snapshot.reference.repoID)")
        }
        return try DepthAnythingModel.load(snapshot: snapshot, config: config, context: context)
    }

    static func load(snapshot: ModelSnapshot, config: [String: Any], context: ModelLoadContext) throws
        -> DepthAnythingModel {
        let processorConfig = try ModelFiles.imageProcessorConfig(in: snapshot)
        let graph = try ModelFiles.graph(snapshot.reference.onnxPath(), in: snapshot)
        let session = try context.runtime.makeSession(modelPath: graph.path, options: context.sessionOptions)
        guard session.inputs.map(\.name) == ["pixel_values"], session.outputs.map(\.name).contains("predicted_depth") else {
            throw VisionError.modelNotFound(
                "'\(snapshot.reference.repoID)' is not a depth-estimation graph (inputs \(session.inputs.map(\.name)), "
                + "outputs \(session.outputs.map(\.name)))")
        }
        return DepthAnythingModel(reference: snapshot.reference, processor: ImageProcessor(config: processorConfig),
                                  session: session, memoryBytes: graph.bytes,
                                  depthKind: (config["depth_estimation_type"] as? String) ?? "relative")
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
