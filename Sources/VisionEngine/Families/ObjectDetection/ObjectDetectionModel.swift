import Foundation
import VisionCore

/// A DETR-style detector export: inputs `pixel_values` (and `pixel_mask` where the graph takes
/// it), outputs `logits` [N, queries, labels + 1] (the last class is "no object") and
/// `pred_boxes` [N, queries, 4] (centre x, centre y, width, height relative to the image).
public final class ObjectDetectionModel: LoadedModel {
    public let reference: ModelReference
    public let device: ComputeDevice
    public let memoryBytes: Int
    let processor: ImageProcessor
    let session: any InferenceSession
    let labels: [String]
    let takesMask: Bool

    init(reference: ModelReference, processor: ImageProcessor, session: any InferenceSession, labels: [String],
         takesMask: Bool, memoryBytes: Int) {
        self.reference = reference
        self.processor = processor
        self.session = session
        self.labels = labels
        self.takesMask = takesMask
        self.device = session.device
        self.memoryBytes = memoryBytes
    }

    static func load(snapshot: ModelSnapshot, context: ModelLoadContext) throws -> ObjectDetectionModel {
        let processorConfig = try ModelFiles.imageProcessorConfig(in: snapshot)
        let config = ModelFiles.jsonObject("config.json", in: snapshot)
        let graph = try ModelFiles.graph(snapshot.reference.onnxPath(), in: snapshot)
        let session = try context.runtime.makeSession(modelPath: graph.path, options: context.sessionOptions)
        let inputs = Set(session.inputs.map(\.name)), outputs = session.outputs.map(\.name)
        guard inputs.contains("pixel_values"), inputs.isSubset(of: ["pixel_values", "pixel_mask"]),
              outputs.contains("logits"), outputs.contains("pred_boxes") else {
            throw VisionError.modelNotFound(
                "'\(snapshot.reference.repoID)' is not a DETR-style detection graph (inputs \(inputs.sorted()), outputs "
                + "\(outputs); expected pixel_values[, pixel_mask] -> logits, pred_boxes)")
        }
        let logits = session.outputs.first { $0.name == "logits" }!
        let classes = logits.shape.count == 3 && logits.shape[2] > 1 ? logits.shape[2] - 1
            : ((config["id2label"] as? [String: Any])?.count ?? 0)
        guard classes > 0 else {
            throw VisionError.modelNotFound("'\(snapshot.reference.repoID)': the label count is neither in the graph nor in config.json")
        }
        return ObjectDetectionModel(
            reference: snapshot.reference, processor: ImageProcessor(config: processorConfig), session: session,
            labels: ModelFiles.labels(config, count: classes), takesMask: inputs.contains("pixel_mask"),
            memoryBytes: graph.bytes)
    }

    /// One image's inputs. Blocking CPU work: call on a decode thread.
    func inputs(_ image: RGBImage) -> (pixelValues: Tensor, pixelMask: Tensor) {
        processor.processBatch([image])
    }

    /// Logits and boxes of one image. Blocking: call on an inference thread.
    func run(_ inputs: (pixelValues: Tensor, pixelMask: Tensor)) throws -> (logits: Tensor, boxes: Tensor) {
        var feeds = ["pixel_values": inputs.pixelValues]
        if takesMask { feeds["pixel_mask"] = inputs.pixelMask }
        let out = try session.run(feeds, outputNames: ["logits", "pred_boxes"])
        guard let logits = out["logits"], let boxes = out["pred_boxes"], logits.shape.count == 3,
              logits.shape[2] == labels.count + 1, boxes.shape == [logits.shape[0], logits.shape[1], 4] else {
            throw VisionError.runtimeFailure("the graph's logits and pred_boxes do not have the shapes of \(labels.count) labels")
        }
        return (logits, boxes)
    }
}
