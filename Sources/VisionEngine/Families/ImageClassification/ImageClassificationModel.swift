import Foundation
import VisionCore

/// A `*ForImageClassification` export: input `pixel_values`, output `logits` [N, labels]; labels
/// from config.json's `id2label`.
public final class ImageClassificationModel: LoadedModel {
    public let reference: ModelReference
    public let device: ComputeDevice
    public let memoryBytes: Int
    let processor: ImageProcessor
    let session: any InferenceSession
    let labels: [String]
    /// What the pipeline applies when the request names no function (from `problem_type` and the
    /// label count).
    let defaultFunction: ClassificationFunction

    init(reference: ModelReference, processor: ImageProcessor, session: any InferenceSession, labels: [String],
         defaultFunction: ClassificationFunction, memoryBytes: Int) {
        self.reference = reference
        self.processor = processor
        self.session = session
        self.labels = labels
        self.defaultFunction = defaultFunction
        self.device = session.device
        self.memoryBytes = memoryBytes
    }

    /// The pipeline's default: regression none; multi-label or one label sigmoid; else softmax.
    static func defaultFunction(_ config: [String: Any], labels: Int) -> ClassificationFunction {
        switch config["problem_type"] as? String {
        case "regression": .none
        case "multi_label_classification": .sigmoid
        default: labels == 1 ? .sigmoid : .softmax
        }
    }

    static func load(snapshot: ModelSnapshot, context: ModelLoadContext) throws -> ImageClassificationModel {
        let processorConfig = try ModelFiles.imageProcessorConfig(in: snapshot)
        let config = ModelFiles.jsonObject("config.json", in: snapshot)
        let graph = try ModelFiles.graph(snapshot.reference.onnxPath(), in: snapshot)
        let session = try context.runtime.makeSession(modelPath: graph.path, options: context.sessionOptions)
        guard session.inputs.map(\.name) == ["pixel_values"], let logits = session.outputs.first(where: { $0.name == "logits" }),
              logits.shape.count == 2 else {
            throw VisionError.modelNotFound(
                "'\(snapshot.reference.repoID)' is not an image-classification graph (inputs \(session.inputs.map(\.name)), "
                + "outputs \(session.outputs.map(\.name)); expected pixel_values -> logits [batch, labels])")
        }
        let count = logits.shape[1] > 0 ? logits.shape[1] : ((config["id2label"] as? [String: Any])?.count ?? 0)
        guard count > 0 else {
            throw VisionError.modelNotFound("'\(snapshot.reference.repoID)': the label count is neither in the graph nor in config.json")
        }
        return ImageClassificationModel(
            reference: snapshot.reference, processor: ImageProcessor(config: processorConfig), session: session,
            labels: ModelFiles.labels(config, count: count), defaultFunction: defaultFunction(config, labels: count),
            memoryBytes: graph.bytes)
    }

    /// One image's `pixel_values` [1, 3, H, W]. Blocking CPU work: call on a decode thread.
    func pixelValues(_ image: RGBImage) -> Tensor {
        processor.processBatch([image]).pixelValues
    }

    /// The logits of a batch. Blocking: call on an inference thread.
    func logits(_ pixelValues: Tensor) throws -> (values: [Float], labels: Int) {
        guard let out = try session.run(["pixel_values": pixelValues], outputNames: ["logits"])["logits"],
              out.shape.count == 2, out.shape[1] == labels.count else {
            throw VisionError.runtimeFailure("the graph gave no logits of \(labels.count) labels")
        }
        return (out.floats, out.shape[1])
    }
}
