import Foundation
import VisionCore

/// Depth Anything 3 as tools/export/export.py `depth_anything_3` writes it: `pixel_values`
/// [B, 3, H, W] → `depth`, `depth_conf` [B, H, W] and `pose_enc` [B, 9]; config.json carries
/// `architecture: "DepthAnything3"`, `process_res`, `patch_size` and the normalisation.
public final class DepthAnything3Model: LoadedModel {
    public let reference: ModelReference
    public let device: ComputeDevice
    public let memoryBytes: Int
    let preprocessor: DepthAnything3Preprocessor
    let session: any InferenceSession

    init(reference: ModelReference, preprocessor: DepthAnything3Preprocessor, session: any InferenceSession,
         memoryBytes: Int) {
        self.reference = reference
        self.preprocessor = preprocessor
        self.session = session
        self.device = session.device
        self.memoryBytes = memoryBytes
    }

    /// True for a config.json the project's exporter wrote for Depth Anything 3.
    static func isExport(_ config: [String: Any]) -> Bool {
        (config["architecture"] as? String) == "DepthAnything3"
    }

    static func load(snapshot: ModelSnapshot, config: [String: Any], context: ModelLoadContext) throws
        -> DepthAnything3Model {
        let graph = try ModelFiles.graph(snapshot.reference.onnxPath(), in: snapshot)
        let session = try context.runtime.makeSession(modelPath: graph.path, options: context.sessionOptions)
        let outputs = Set(session.outputs.map(\.name))
        guard session.inputs.map(\.name) == ["pixel_values"],
              outputs.isSuperset(of: ["depth", "depth_conf", "pose_enc"]) else {
            throw VisionError.modelNotFound(
                "'\(snapshot.reference.repoID)' is not a Depth Anything 3 export (inputs \(session.inputs.map(\.name)), "
                + "outputs \(session.outputs.map(\.name).sorted())); export it with tools/export/export.py depth_anything_3")
        }
        func floats(_ key: String, _ fallback: [Float]) -> [Float] {
            ((config[key] as? [Double])?.map(Float.init)).flatMap { $0.count == 3 ? $0 : nil } ?? fallback
        }
        let preprocessor = DepthAnything3Preprocessor(
            processRes: (config["process_res"] as? Int) ?? 504, patchSize: (config["patch_size"] as? Int) ?? 14,
            mean: floats("image_mean", [0.485, 0.456, 0.406]), std: floats("image_std", [0.229, 0.224, 0.225]))
        return DepthAnything3Model(reference: snapshot.reference, preprocessor: preprocessor, session: session,
                                   memoryBytes: graph.bytes)
    }

    /// What one image gives: depth and confidence at the processed size, and the camera.
    struct Output: Sendable {
        let depth: [Float]
        let confidence: [Float]
        let height: Int
        let width: Int
        let camera: CameraParameters
    }

    /// Runs one processed image. Blocking: call on an inference thread.
    func run(_ pixelValues: Tensor) throws -> Output {
        let out = try session.run(["pixel_values": pixelValues], outputNames: ["depth", "depth_conf", "pose_enc"])
        guard let depth = out["depth"], depth.shape.count == 3, let conf = out["depth_conf"],
              conf.shape == depth.shape, let pose = out["pose_enc"], pose.count == 9 else {
            throw VisionError.runtimeFailure("the Depth Anything 3 graph did not return depth, depth_conf [1, H, W] "
                                             + "and pose_enc [1, 9]")
        }
        let height = depth.shape[1], width = depth.shape[2]
        return Output(depth: depth.floats, confidence: conf.floats, height: height, width: width,
                      camera: CameraParameters(poseEncoding: pose.floats, height: height, width: width))
    }
}
