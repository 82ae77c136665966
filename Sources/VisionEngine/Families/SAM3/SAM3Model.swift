import Foundation
import VisionCore

/// SAM3 as tools/export/export.py `sam3` writes it: either the split graphs (vision encoder once
/// per image, text encoder once per distinct prompt, decoder per image × prompt, and, in exports
/// that have it, the box decoder for prompts with visual exemplars) or the single graph
/// (`onnx/model.onnx`: pixel_values, input_ids, attention_mask → the four outputs).
public final class SAM3Model: LoadedModel {
    public let reference: ModelReference
    public let device: ComputeDevice
    public let memoryBytes: Int
    let processor: ImageProcessor
    let tokenizer: CLIPTokenizer
    let graphs: Graphs
    /// Tokens per prompt, padded (32 for SAM3).
    let textLength: Int
    /// The shipped graph the checkpoint's weights were bound to (nil: the repository's own graphs).
    let shippedGraph: String?

    public var statusDetails: [(String, JSONValue)] { [ModelFiles.graphDetail(shippedGraph)] }

    enum Graphs: Sendable {
        case split(vision: any InferenceSession, text: any InferenceSession, decoder: any InferenceSession,
                   boxDecoder: (any InferenceSession)?)
        case single(any InferenceSession)
    }

    init(reference: ModelReference, processor: ImageProcessor, tokenizer: CLIPTokenizer, graphs: Graphs,
         memoryBytes: Int, textLength: Int, shippedGraph: String? = nil) {
        self.reference = reference
        self.shippedGraph = shippedGraph
        self.processor = processor
        self.tokenizer = tokenizer
        self.graphs = graphs
        self.memoryBytes = memoryBytes
        self.textLength = textLength
        switch graphs {
        case .split(let vision, _, _, _): device = vision.device
        case .single(let session): device = session.device
        }
    }

    static func load(snapshot: ModelSnapshot, context: ModelLoadContext) throws -> SAM3Model {
        let processorConfig = try ModelFiles.imageProcessorConfig(in: snapshot)
        guard let tokenizerData = FileManager.default.contents(atPath: snapshot.path("tokenizer.json")) else {
            throw VisionError.modelNotFound("model '\(snapshot.reference.repoID)' has no tokenizer.json")
        }
        let tokenizer = try CLIPTokenizer(json: tokenizerData)
        let marker = ModelFiles.jsonObject("vision_models_api.json", in: snapshot)
        let textLength = (marker["text_length"] as? Int) ?? 32
        let split = ["vision_encoder", "text_encoder", "decoder"].map { snapshot.reference.onnxPath(graph: $0) }
        if let shipped = try ModelFiles.shippedSessions(
            snapshot, family: .sam3, context: context,
            exportCommand: "python3 tools/export/graph_only.py sam3 <config.json> graphs/<name>",
            ownGraphs: split + [snapshot.reference.onnxPath()]) {
            guard let vision = shipped.sessions["vision_encoder"], let text = shipped.sessions["text_encoder"],
                  let decoder = shipped.sessions["decoder"] else {
                throw VisionError.internalError("shipped graph '\(shipped.name)' lacks the split SAM3 graphs")
            }
            return SAM3Model(reference: snapshot.reference, processor: ImageProcessor(config: processorConfig),
                             tokenizer: tokenizer,
                             graphs: .split(vision: vision, text: text, decoder: decoder, boxDecoder: shipped.sessions["box_decoder"]),
                             memoryBytes: shipped.bytes, textLength: textLength, shippedGraph: shipped.name)
        }
        if split.allSatisfy({ FileManager.default.fileExists(atPath: snapshot.path($0)) }) {
            let boxPath = snapshot.reference.onnxPath(graph: "box_decoder")
            let withBoxes = FileManager.default.fileExists(atPath: snapshot.path(boxPath))
            let files = try (split + (withBoxes ? [boxPath] : [])).map { try ModelFiles.graph($0, in: snapshot) }
            let sessions = try files.map { try context.runtime.makeSession(modelPath: $0.path, options: context.sessionOptions) }
            return SAM3Model(reference: snapshot.reference, processor: ImageProcessor(config: processorConfig),
                             tokenizer: tokenizer,
                             graphs: .split(vision: sessions[0], text: sessions[1], decoder: sessions[2],
                                            boxDecoder: withBoxes ? sessions[3] : nil),
                             memoryBytes: files.reduce(0) { $0 + $1.bytes }, textLength: textLength)
        }
        let graph = try ModelFiles.graph(snapshot.reference.onnxPath(), in: snapshot)
        let session = try context.runtime.makeSession(modelPath: graph.path, options: context.sessionOptions)
        return SAM3Model(reference: snapshot.reference, processor: ImageProcessor(config: processorConfig),
                         tokenizer: tokenizer, graphs: .single(session), memoryBytes: graph.bytes, textLength: textLength)
    }

    var isSplit: Bool { if case .split = graphs { true } else { false } }

    /// Whether the export can take box exemplars (the split graphs with the box decoder).
    var takesBoxes: Bool { if case .split(_, _, _, let boxes?) = graphs { boxes.inputs.contains { $0.name == "input_boxes" } } else { false } }

    /// The prompt's ids and attention mask, padded; nil when it is longer than the model reads.
    func tokens(_ prompt: String) -> (ids: [Int], mask: [Int])? {
        tokenizer.encodePadded(prompt, length: textLength)
    }

    /// Split graphs: the vision features the decoder reads, for one processed image. Blocking.
    func visionFeatures(_ pixelValues: Tensor) throws -> [String: Tensor] {
        guard case .split(let vision, _, let decoder, _) = graphs else {
            throw VisionError.internalError("vision features need the split SAM3 graphs")
        }
        let wanted = Set(decoder.inputs.map(\.name))
        let names = vision.outputs.map(\.name).filter { wanted.contains($0) }
        return try vision.run(["pixel_values": pixelValues], outputNames: names)
    }

    /// Split graphs: text features of prompts [P, textLength, D]. Blocking.
    func textFeatures(ids: [[Int]], masks: [[Int]]) throws -> Tensor {
        guard case .split(_, let text, _, _) = graphs else {
            throw VisionError.internalError("text features need the split SAM3 graphs")
        }
        let out = try text.run(Self.textFeeds(ids: ids, masks: masks, length: textLength), outputNames: ["text_features"])
        guard let features = out["text_features"] else {
            throw VisionError.runtimeFailure("the SAM3 text encoder did not return text_features")
        }
        return features
    }

    static func textFeeds(ids: [[Int]], masks: [[Int]], length: Int) -> [String: Tensor] {
        ["input_ids": .int64(ids.flatMap { $0.map(Int64.init) }, shape: [ids.count, length]),
         "attention_mask": .int64(masks.flatMap { $0.map(Int64.init) }, shape: [masks.count, length])]
    }

    /// Raw outputs for one image and one prompt.
    struct Raw: Sendable {
        let logits: [Float]
        let boxes: [Float]
        let masks: [Float]
        let presence: Float
        let queries: Int
        let maskHeight: Int
        let maskWidth: Int
    }

    /// Split graphs: the decoder for one image and one prompt (batch 1); with `boxes` (K × (cx, cy,
    /// w, h) relative, and their labels) the box decoder. Blocking.
    func decode(vision: [String: Tensor], text: Tensor, mask: [Int], boxes: (values: [Float], labels: [Int])? = nil) throws -> Raw {
        guard case .split(_, _, let plain, let boxDecoder) = graphs else {
            throw VisionError.internalError("the decoder needs the split SAM3 graphs")
        }
        var feeds = vision
        feeds["text_features"] = text
        feeds["attention_mask"] = .int64(mask.map(Int64.init), shape: [1, textLength])
        var decoder = plain
        if let boxes {
            guard let boxDecoder else { throw VisionError.internalError("this SAM3 export has no box decoder") }
            decoder = boxDecoder
            feeds["input_boxes"] = .float32(boxes.values, shape: [1, boxes.labels.count, 4])
            feeds["input_boxes_labels"] = .int64(boxes.labels.map(Int64.init), shape: [1, boxes.labels.count])
        }
        let wanted = Set(decoder.inputs.map(\.name))
        return try Self.raw(decoder.run(feeds.filter { wanted.contains($0.key) }, outputNames: Self.outputs))
    }

    /// The single graph for one image and one prompt. Blocking.
    func runSingle(pixelValues: Tensor, ids: [Int], mask: [Int]) throws -> Raw {
        guard case .single(let session) = graphs else {
            throw VisionError.internalError("runSingle needs the single SAM3 graph")
        }
        var feeds = Self.textFeeds(ids: [ids], masks: [mask], length: textLength)
        feeds["pixel_values"] = pixelValues
        return try Self.raw(session.run(feeds, outputNames: Self.outputs))
    }

    static let outputs = ["pred_logits", "pred_boxes", "pred_masks", "presence_logits"]

    static func raw(_ out: [String: Tensor]) throws -> Raw {
        guard let logits = out["pred_logits"], let boxes = out["pred_boxes"], let masks = out["pred_masks"],
              let presence = out["presence_logits"], masks.shape.count == 4, logits.shape.count == 2 else {
            throw VisionError.runtimeFailure("the SAM3 graph did not return pred_logits, pred_boxes, pred_masks, presence_logits")
        }
        return Raw(logits: logits.floats, boxes: boxes.floats, masks: masks.floats, presence: presence.floats.first ?? 0,
                   queries: logits.shape[1], maskHeight: masks.shape[2], maskWidth: masks.shape[3])
    }
}
