import Foundation
import VisionCore

/// GroundingDINO as the onnx-community layout holds it: `pixel_values`, `input_ids`,
/// `token_type_ids`, `attention_mask`, `pixel_mask` → `logits` [B, queries, max_text_len],
/// `pred_boxes` [B, queries, 4] (cx, cy, w, h relative), with `tokenizer.json` and the image
/// processor config beside it.
public final class GroundingDINOModel: LoadedModel {
    public var statusDetails: [(String, JSONValue)] {
        [("phrases", .string(multiPhrase ? "joint" : "one per pass")), ("graph_probe", .string(probe)),
         ModelFiles.graphDetail(shippedGraph)]
    }

    public let reference: ModelReference
    public let device: ComputeDevice
    public let memoryBytes: Int
    let processor: ImageProcessor
    let tokenizer: WordPieceTokenizer
    let session: any InferenceSession
    /// True when the graph's phrase mask is right for any number of phrases, as the load-time
    /// probe (`probePhrases`) found; such graphs run a request's phrases jointly, as transformers
    /// does. Graphs whose phrase loop was frozen at one phrase run one phrase per pass.
    public let multiPhrase: Bool
    /// What the probe found, for `/models/status`.
    let probe: String
    /// The text length the graph's logits are padded to (config `max_text_len`).
    let maxTextLength: Int
    /// The shipped graph the checkpoint's weights were bound to (nil: the repository's own graph).
    let shippedGraph: String?

    init(reference: ModelReference, processor: ImageProcessor, tokenizer: WordPieceTokenizer, session: any InferenceSession,
         memoryBytes: Int, multiPhrase: Bool, probe: String, maxTextLength: Int, shippedGraph: String? = nil) {
        self.probe = probe
        self.shippedGraph = shippedGraph
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
        let graph = try ModelFiles.session(
            snapshot, family: .groundingDINO, context: context,
            exportCommand: "python3 tools/export/graph_only.py grounding_dino <config.json> graphs/<name>")
        let session = graph.session
        guard Set(session.inputs.map(\.name)).isSubset(of: inputNames),
              Set(session.outputs.map(\.name)).isSuperset(of: ["logits", "pred_boxes"]) else {
            throw VisionError.modelNotFound(
                "'\(snapshot.reference.repoID)' is not a GroundingDINO graph (inputs \(session.inputs.map(\.name)), "
                + "outputs \(session.outputs.map(\.name)))")
        }
        let config = ModelFiles.jsonObject("config.json", in: snapshot)
        let marker = ModelFiles.jsonObject("vision_models_api.json", in: snapshot)
        let (joint, probe) = try probePhrases(session: session, tokenizer: tokenizer, queries: (config["num_queries"] as? Int) ?? 900,
                                              model: snapshot.reference.repoID)
        if let claimed = marker["multi_phrase"] as? Bool, claimed != joint {
            context.logger?.warning("GroundingDINO graph probe disagrees with its marker", metadata: [
                "model_id": "\(snapshot.reference)", "marker_multi_phrase": "\(claimed)", "probe": "\(probe)"])
        }
        context.logger?.info("GroundingDINO graph probed", metadata: [
            "model_id": "\(snapshot.reference)", "phrases": "\(joint ? "joint" : "one per pass")", "probe": "\(probe)"])
        return GroundingDINOModel(
            reference: snapshot.reference, processor: ImageProcessor(config: processorConfig), tokenizer: tokenizer,
            session: session, memoryBytes: graph.bytes, multiPhrase: joint, probe: probe,
            maxTextLength: (config["max_text_len"] as? Int) ?? 256, shippedGraph: graph.shippedGraph)
    }

    /// The probe image's side: the encoder picks its top `queries` tokens over the four feature
    /// levels (strides 8 to 64, sizes rounded up), so the image must give at least that many.
    static func probeSide(queries: Int) -> Int {
        func cells(_ side: Int, _ stride: Int) -> Int { let n = (side + stride - 1) / stride; return n * n }
        var side = 64
        while cells(side, 8) + cells(side, 16) + cells(side, 32) + cells(side, 64) < queries { side += 64 }
        return side
    }

    /// Decides from the graph itself whether its phrase mask follows the text: a small blank image
    /// (`probeSide`: 64 px for the tiny test models, 256 px for a real model's 900 queries) with
    /// the text "a. a." — in a graph that masks phrases as transformers does, both copies of "a"
    /// are the first token of their phrase and get identical logit columns; in a graph frozen at
    /// one phrase they differ. A tokenizer that does not split the probe's text leaves the graph
    /// at one phrase per pass (always right, if slower); a graph that cannot run the probe (frozen
    /// at one image size or text length, as a one-size trace writes it) cannot serve requests
    /// either, and is refused: a 422 naming the fixed sizes it declares.
    static func probePhrases(session: any InferenceSession, tokenizer: WordPieceTokenizer,
                             queries: Int, model: String = "probe/probe") throws -> (joint: Bool, probe: String) {
        let ids = tokenizer.encode("a. a.")
        guard ids.count >= 5, let first = ids.indices.dropFirst().first,
              let second = ids.indices.dropFirst(first + 1).first(where: { ids[$0] == ids[first] }) else {
            return (false, "not run: the tokenizer does not split 'a. a.' into two phrases")
        }
        let side = probeSide(queries: queries)
        let pixels = Tensor.float32([Float](repeating: 0, count: 3 * side * side), shape: [1, 3, side, side])
        let mask = Tensor.int64([Int64](repeating: 1, count: side * side), shape: [1, side, side])
        let model = GroundingDINOModel(reference: try! ModelReference(parsing: "probe/probe"),
                                       processor: ImageProcessor(config: ImageProcessorConfig()), tokenizer: tokenizer,
                                       session: session, memoryBytes: 0, multiPhrase: true, probe: "", maxTextLength: ids.count)
        do {
            let raw = try model.run(pixelValues: pixels, pixelMask: mask, ids: ids)
            guard second < raw.textColumns else { return (false, "not run: the graph's logits have too few text columns") }
            var difference: Float = 0, scale: Float = 0
            for q in 0..<raw.queries {
                let a = raw.logits[q * raw.textColumns + first], b = raw.logits[q * raw.textColumns + second]
                difference = max(difference, abs(a - b))
                scale = max(scale, abs(a), abs(b))
            }
            // Equal but for rounding (which grows with the model: a real-size graph with random
            // weights differs by ~1e-3 of its values); a frozen mask differs by the values' own size.
            let joint = difference <= 1e-2 * max(1, scale)
            return (joint, "repeated phrase: logit columns differ by \(String(format: "%.2g", difference)) (values up to \(String(format: "%.3g", scale)))")
        } catch {
            let fixed = session.inputs.filter { input in input.shape.dropFirst().contains { $0 > 0 } && input.name != "pixel_values" }
                .map { "\($0.name) \($0.shape)" }
                + session.inputs.filter { $0.name == "pixel_values" && $0.shape.count == 4 && $0.shape[2] > 0 }.map { "pixel_values \($0.shape)" }
            throw VisionError.unsupportedModel(
                "'\(model)': its GroundingDINO graph does not run on a \(side)×\(side) image with the text 'a. a.', as the "
                + "server checks at load, so it cannot serve requests of other sizes"
                + (fixed.isEmpty ? "" : " (its inputs are fixed at \(fixed.joined(separator: ", ")))")
                + "; export it with dynamic image size and text length (tools/export/export.py grounding_dino)")
        }
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
