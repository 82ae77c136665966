import Foundation
import VisionCore

/// A loaded Depth Anything model: V2 (transformers' export) or 3 (the `depth-anything-3`
/// package's, exported by the project), told apart by `config.json`. Both serve the
/// `depth_anything` route; the service switches on `generation`.
public final class DepthEstimator: LoadedModel {
    public enum Generation: Sendable {
        case v2(DepthAnythingModel)
        case v3(DepthAnything3Model)
    }

    public let generation: Generation

    init(_ generation: Generation) { self.generation = generation }

    private var model: any LoadedModel {
        switch generation {
        case .v2(let model): model
        case .v3(let model): model
        }
    }

    public var reference: ModelReference { model.reference }
    public var device: ComputeDevice { model.device }
    public var memoryBytes: Int { model.memoryBytes }
    public var statusDetails: [(String, JSONValue)] { model.statusDetails }

    static func load(snapshot: ModelSnapshot, context: ModelLoadContext) throws -> DepthEstimator {
        let config = ModelFiles.jsonObject("config.json", in: snapshot)
        if DepthAnything3Model.isExport(config) {
            return DepthEstimator(.v3(try DepthAnything3Model.load(snapshot: snapshot, config: config, context: context)))
        }
        if config["model_name"] != nil {
            if let shipped = try DepthAnything3Model.loadShipped(snapshot: snapshot, context: context) {
                return DepthEstimator(.v3(shipped))
            }
            throw VisionError.modelNotFound(
                "'\(snapshot.reference.repoID)' holds Depth Anything 3 PyTorch weights without the project's ONNX export; "
                + "export it once with: python3 tools/export/export.py depth_anything_3 --from-hub "
                + "\(snapshot.reference.repoID)")
        }
        return DepthEstimator(.v2(try DepthAnythingModel.load(snapshot: snapshot, config: config, context: context)))
    }
}
