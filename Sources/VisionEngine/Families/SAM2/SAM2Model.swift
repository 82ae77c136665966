import Foundation
import VisionCore

/// A click-to-segment model (SAM 2 / 2.1, SAM3's tracker) in the onnx-community layout, or a
/// transformers-format checkpoint bound to the shipped graphs of the same layout:
/// `onnx/vision_encoder.onnx` (pixel_values → image_embeddings.0/1/2) runs once per image and
/// `onnx/prompt_encoder_mask_decoder.onnx` (input_points, input_labels, input_boxes and the
/// embeddings → iou_scores, pred_masks, object_score_logits) once per click.
public final class SAM2Model: LoadedModel {
    public let reference: ModelReference
    public let device: ComputeDevice
    public let memoryBytes: Int
    let processor: ImageProcessor
    let encoder: any InferenceSession
    let decoder: any InferenceSession
    /// The side of the square the processor resizes to (Sam2Processor's target size for points).
    let inputSize: Int
    /// The shipped graph the checkpoint's weights were bound to (nil: the repository's own graphs).
    let shippedGraph: String?

    public var statusDetails: [(String, JSONValue)] { [ModelFiles.graphDetail(shippedGraph)] }

    init(reference: ModelReference, processor: ImageProcessor, encoder: any InferenceSession,
         decoder: any InferenceSession, memoryBytes: Int, inputSize: Int, shippedGraph: String? = nil) {
        self.shippedGraph = shippedGraph
        self.reference = reference
        self.processor = processor
        self.encoder = encoder
        self.decoder = decoder
        self.memoryBytes = memoryBytes
        self.inputSize = inputSize
        device = encoder.device
    }

    static let decoderInputs = ["input_points", "input_labels", "input_boxes"]
    static let outputs = ["iou_scores", "pred_masks", "object_score_logits"]

    var labelsAreFloat: Bool { decoder.inputs.first { $0.name == "input_labels" }?.elementType == .float32 }

    static func load(snapshot: ModelSnapshot, context: ModelLoadContext) throws -> SAM2Model {
        let config = try ModelFiles.imageProcessorConfig(in: snapshot)
        guard case .exact(let height, let width) = config.resize, width == height, width > 0 else {
            throw VisionError.modelNotFound(
                "'\(snapshot.reference.repoID)' has no square image size ({height, width}) in its processor config")
        }
        let graphs = ["vision_encoder", "prompt_encoder_mask_decoder"]
        let encoder: any InferenceSession, decoder: any InferenceSession, bytes: Int, shippedGraph: String?
        if let shipped = try ModelFiles.shippedSessions(
            snapshot, family: .sam2, context: context,
            exportCommand: "python3 tools/export/graph_only.py sam2 <config.json> graphs/<name>",
            ownGraphs: graphs.map { snapshot.reference.onnxPath(graph: $0) }) {
            // A transformers-format checkpoint (facebook/sam2.1-hiera-*): its weights bound to the shipped graphs.
            guard let e = shipped.sessions[graphs[0]], let d = shipped.sessions[graphs[1]] else {
                throw VisionError.internalError("shipped graph '\(shipped.name)' lacks the SAM 2 graphs")
            }
            (encoder, decoder, bytes, shippedGraph) = (e, d, shipped.bytes, shipped.name)
        } else {
            let files = try graphs.map { try ModelFiles.graph(snapshot.reference.onnxPath(graph: $0), in: snapshot) }
            encoder = try context.runtime.makeSession(modelPath: files[0].path, options: context.sessionOptions)
            decoder = try context.runtime.makeSession(modelPath: files[1].path, options: context.sessionOptions)
            (bytes, shippedGraph) = (files.reduce(0) { $0 + $1.bytes }, nil)
        }
        let decoderNames = Set(decoder.inputs.map(\.name)), encoderNames = encoder.outputs.map(\.name)
        let embeddings = decoderNames.subtracting(decoderInputs)
        guard encoder.inputs.map(\.name) == ["pixel_values"], decoderNames.isSuperset(of: decoderInputs),
              !embeddings.isEmpty, embeddings.isSubset(of: encoderNames),
              Set(decoder.outputs.map(\.name)).isSuperset(of: outputs) else {
            throw VisionError.modelNotFound(
                "'\(snapshot.reference.repoID)' is not a SAM 2 click-to-segment export (encoder outputs \(encoderNames), "
                + "decoder inputs \(decoder.inputs.map(\.name)))")
        }
        return SAM2Model(reference: snapshot.reference, processor: ImageProcessor(config: config), encoder: encoder,
                         decoder: decoder, memoryBytes: bytes, inputSize: width, shippedGraph: shippedGraph)
    }

    /// The image embeddings the decoder reads, for one processed image. Blocking.
    func embeddings(_ pixelValues: Tensor) throws -> [String: Tensor] {
        let wanted = Set(decoder.inputs.map(\.name))
        return try encoder.run(["pixel_values": pixelValues], outputNames: encoder.outputs.map(\.name).filter(wanted.contains))
    }

    /// The decoder's answer for P objects of one image, each three masks.
    struct Raw: Sendable {
        let iouScores: [Float]
        let masks: [Float]
        let objectScores: [Float]
        let masksPerObject: Int
        let maskHeight: Int
        let maskWidth: Int
    }

    /// Runs the decoder on one image's embeddings and prompts already in the model's input
    /// coordinates. Blocking.
    func decode(_ embeddings: [String: Tensor], prompts: SAM2Prompts) throws -> Raw {
        var feeds = embeddings
        feeds["input_points"] = .float32(prompts.points, shape: [1, prompts.pointRows, prompts.pointsPerObject, 2])
        let labelShape = [1, prompts.labelRows, prompts.pointsPerObject]
        // int64 in the community exports (transformers.js feeds BigInt64 labels); a graph declaring
        // float labels gets floats.
        feeds["input_labels"] = labelsAreFloat ? .float32(prompts.labels.map(Float.init), shape: labelShape)
            : .int64(prompts.labels.map(Int64.init), shape: labelShape)
        feeds["input_boxes"] = .float32(prompts.boxes, shape: [1, prompts.boxes.count / 4, 4])
        let out = try decoder.run(feeds, outputNames: Self.outputs)
        guard let iou = out["iou_scores"], let masks = out["pred_masks"], let objects = out["object_score_logits"],
              masks.shape.count == 5, iou.shape.count == 3 else {
            throw VisionError.runtimeFailure("the SAM 2 decoder did not return iou_scores, pred_masks, object_score_logits")
        }
        return Raw(iouScores: iou.floats, masks: masks.floats, objectScores: objects.floats, masksPerObject: masks.shape[2],
                   maskHeight: masks.shape[3], maskWidth: masks.shape[4])
    }
}

/// One decoder call's prompts in the layout the community graphs take (transformers.js's
/// calling convention): points [1, P, N, 2] padded with label -10, boxes [1, P or 0, 4]; with
/// boxes and no points, points [1, 1, 0, 2] and labels [1, P, 0].
struct SAM2Prompts: Sendable, Equatable {
    var points: [Float] = []
    var labels: [Int] = []
    var boxes: [Float] = []
    var pointRows = 0
    var labelRows = 0
    var pointsPerObject = 0

    /// The padding label and coordinate transformers' Sam2Processor uses.
    static let padding = -10

    /// `objects` (all with boxes or all without) scaled from an image of `width` × `height` to the
    /// model's `size` × `size` input as Sam2Processor does (float32 x · (size / width)).
    init(_ objects: [ClickObject], width: Int, height: Int, size: Int) {
        let sx = Float(Double(size) / Double(width)), sy = Float(Double(size) / Double(height))
        let n = objects.map(\.points.count).max() ?? 0
        pointsPerObject = n
        for object in objects {
            for (i, p) in object.points.enumerated() {
                points += [p[0] * sx, p[1] * sy]
                labels.append(object.labels[i])
            }
            for _ in object.points.count..<n {
                points += [Float(Self.padding), Float(Self.padding)]
                labels.append(Self.padding)
            }
            if let b = object.box { boxes += [b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy] }
        }
        labelRows = objects.count
        pointRows = n == 0 ? 1 : objects.count
    }
}
