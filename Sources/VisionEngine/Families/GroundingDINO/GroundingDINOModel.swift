import Foundation
import VisionCore

/// GroundingDINO as the onnx-community layout holds it: `pixel_values`, `input_ids`,
/// `token_type_ids`, `attention_mask`, `pixel_mask` → `logits` [B, queries, max_text_len],
/// `pred_boxes` [B, queries, 4] (cx, cy, w, h relative), with `tokenizer.json` and the image
/// processor config beside it.
public final class GroundingDINOModel: LoadedModel {
    public let reference: ModelReference
    public let device: ComputeDevice
    public let memoryBytes: Int
    let processor: ImageProcessor
    let tokenizer: WordPieceTokenizer
    let session: any InferenceSession
    /// True when the graph was exported by tools/export/export.py (`vision_models_api.json`
    /// says `multi_phrase`): its phrase mask is right for any number of phrases. Other graphs
    /// (onnx-community's was traced with one phrase) run one phrase per pass.
    public let multiPhrase: Bool
    /// The text length the graph's logits are padded to (config `max_text_len`).
    let maxTextLength: Int

    init(reference: ModelReference, processor: ImageProcessor, tokenizer: WordPieceTokenizer, session: any InferenceSession,
         memoryBytes: Int, multiPhrase: Bool, maxTextLength: Int) {
        self.reference = reference
        self.processor = processor
        self.tokenizer = tokenizer
        self.session = session
        self.device = session.device
        self.memoryBytes = memoryBytes
        self.multiPhrase = multiPhrase
        self.maxTextLength = maxTextLength
    }

    static let inputNames: Set = ["pixel_values", "input_ids", "token_type_ids", "attention_mask", "pixel_mask"]

    static func load(snapshot: ModelSnapshot, context: ModelLoadContext) throws -> GroundingDINOModel {
        let processorConfig = try ModelFiles.imageProcessorConfig(in: snapshot)
        guard let tokenizerData = FileManager.default.contents(atPath: snapshot.path("tokenizer.json")) else {
            throw VisionError.modelNotFound("model '\(snapshot.reference.repoID)' has no tokenizer.json")
        }
        let tokenizer = try WordPieceTokenizer(json: tokenizerData)
        let graph = try ModelFiles.graph(snapshot.reference.onnxPath(), in: snapshot)
        let session = try context.runtime.makeSession(modelPath: graph.path, options: context.sessionOptions)
        guard Set(session.inputs.map(\.name)).isSubset(of: inputNames),
              Set(session.outputs.map(\.name)).isSuperset(of: ["logits", "pred_boxes"]) else {
            throw VisionError.modelNotFound(
                "'\(snapshot.reference.repoID)' is not a GroundingDINO graph (inputs \(session.inputs.map(\.name)), "
                + "outputs \(session.outputs.map(\.name)))")
        }
        let config = Self.json(snapshot.path("config.json"))
        let marker = Self.json(snapshot.path("vision_models_api.json"))
        return GroundingDINOModel(
            reference: snapshot.reference, processor: ImageProcessor(config: processorConfig), tokenizer: tokenizer,
            session: session, memoryBytes: graph.bytes, multiPhrase: (marker["multi_phrase"] as? Bool) == true,
            maxTextLength: (config["max_text_len"] as? Int) ?? 256)
    }

    private static func json(_ path: String) -> [String: Any] {
        FileManager.default.contents(atPath: path)
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
    }

    /// Raw outputs for a batch: logits [B, Q, T] and boxes [B, Q, 4], flattened.
    struct Raw: Sendable {
        let logits: [Float]
        let boxes: [Float]
        let queries: Int
        let textColumns: Int
    }

    /// Runs one batch of processed images with the same token ids for each. Blocking.
    func run(pixelValues: Tensor, pixelMask: Tensor, ids: [Int]) throws -> Raw {
        let batch = pixelValues.shape[0]
        let tokens = ids.map(Int64.init)
        var feeds: [String: Tensor] = [
            "pixel_values": pixelValues,
            "pixel_mask": pixelMask,
            "input_ids": .int64(Array([[Int64]](repeating: tokens, count: batch).joined()), shape: [batch, ids.count]),
            "token_type_ids": .int64([Int64](repeating: 0, count: batch * ids.count), shape: [batch, ids.count]),
            "attention_mask": .int64([Int64](repeating: 1, count: batch * ids.count), shape: [batch, ids.count]),
        ]
        let wanted = Set(session.inputs.map(\.name))
        feeds = feeds.filter { wanted.contains($0.key) }
        let out = try session.run(feeds, outputNames: ["logits", "pred_boxes"])
        guard let logits = out["logits"], logits.shape.count == 3, let boxes = out["pred_boxes"],
              boxes.shape == [logits.shape[0], logits.shape[1], 4] else {
            throw VisionError.runtimeFailure("the GroundingDINO graph did not return logits [B, Q, T] and pred_boxes [B, Q, 4]")
        }
        return Raw(logits: logits.floats, boxes: boxes.floats, queries: logits.shape[1], textColumns: logits.shape[2])
    }
}
