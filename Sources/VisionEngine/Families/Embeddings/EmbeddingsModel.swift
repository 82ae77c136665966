import Foundation
import VisionCore

/// How a dual encoder turns image–text similarity into scores (its `config.json` model_type):
/// CLIP's softmax over the labels, SigLIP's sigmoid of each.
public enum ContrastiveKind: String, Sendable {
    case clip, siglip

    init(modelType: String?) { self = (modelType ?? "").hasPrefix("siglip") ? .siglip : .clip }
}

/// An image–text dual encoder in the community layout (transformers.js's split export):
/// `onnx/vision_model.onnx` (pixel_values → image_embeds, or pooler_output for SigLIP; SigLIP 2
/// NaFlex's from the project exporter: patches, pixel_attention_mask, spatial_shapes) and
/// `onnx/text_model.onnx` (input_ids → text_embeds / pooler_output). The trained logit scale
/// (and SigLIP's bias) come from `onnx/model.onnx`'s initializers or `model.safetensors`.
public final class EmbeddingsModel: LoadedModel {
    public let reference: ModelReference
    public let device: ComputeDevice
    public let memoryBytes: Int
    let processor: ImageProcessor
    let vision: any InferenceSession
    let text: (any InferenceSession)?
    let tokenizer: TextTokenizer?
    let kind: ContrastiveKind
    /// exp(logit_scale) and the bias, when the repository has them.
    let logitScale: Float?
    let logitBias: Float?
    let imageOutput: String
    let textOutput: String
    /// Tokens the text encoder reads at most (its position embeddings).
    let maxTokens: Int

    init(reference: ModelReference, processor: ImageProcessor, vision: any InferenceSession, text: (any InferenceSession)?,
         tokenizer: TextTokenizer?, kind: ContrastiveKind, logitScale: Float?, logitBias: Float?, memoryBytes: Int,
         maxTokens: Int) {
        self.reference = reference
        self.processor = processor
        self.vision = vision
        self.text = text
        self.tokenizer = tokenizer
        self.kind = kind
        self.logitScale = logitScale
        self.logitBias = logitBias
        self.memoryBytes = memoryBytes
        self.maxTokens = maxTokens
        device = vision.device
        let visionNames = vision.outputs.map(\.name)
        imageOutput = visionNames.contains("image_embeds") ? "image_embeds" : "pooler_output"
        textOutput = text.map { $0.outputs.map(\.name).contains("text_embeds") ? "text_embeds" : "pooler_output" } ?? ""
    }

    public var statusDetails: [(String, JSONValue)] {
        [("logit_scale", logitScale.map { .number(Double($0)) } ?? .null),
         ("logit_bias", logitBias.map { .number(Double($0)) } ?? .null)]
    }

    static func load(snapshot: ModelSnapshot, context: ModelLoadContext) throws -> EmbeddingsModel {
        let processorConfig = try ModelFiles.imageProcessorConfig(in: snapshot)
        let config = ModelFiles.jsonObject("config.json", in: snapshot)
        let modelType = config["model_type"] as? String
        let kind = ContrastiveKind(modelType: modelType)
        let visionFile = try ModelFiles.graph(snapshot.reference.onnxPath(graph: "vision_model"), in: snapshot)
        let vision = try context.runtime.makeSession(modelPath: visionFile.path, options: context.sessionOptions)
        guard [["pixel_values"], NaFlexPatches.inputNames].contains(vision.inputs.map(\.name).sorted()),
              vision.outputs.contains(where: { ["image_embeds", "pooler_output"].contains($0.name) }) else {
            throw VisionError.modelNotFound("'\(snapshot.reference.repoID)' is not an image–text embedding export "
                                            + "(vision_model inputs \(vision.inputs.map(\.name)), outputs \(vision.outputs.map(\.name)))")
        }
        let takesPatches = vision.inputs.count > 1
        if processorConfig.resize.isPatchBudget, !takesPatches {
            throw VisionError.modelNotFound("'\(snapshot.reference.repoID)' has a SigLIP 2 NaFlex processor but its vision graph "
                                            + "takes whole images: export it with tools/export/export.py embeddings")
        } else if takesPatches, !processorConfig.resize.isPatchBudget {
            throw VisionError.modelNotFound("'\(snapshot.reference.repoID)' vision graph takes patches (SigLIP 2 NaFlex) but "
                                            + "its processor config has no patch budget (max_num_patches)")
        }
        var bytes = visionFile.bytes
        var text: (any InferenceSession)?
        let textConfig = config["text_config"] as? [String: Any]
        let maxTokens = (textConfig?["max_position_embeddings"] as? Int) ?? (kind == .siglip ? 64 : 77)
        // transformers' Siglip2Tokenizer lower-cases in front of Gemma's normalizer.
        let tokenizer = try TextTokenizer.load(snapshot, kind: kind, length: maxTokens, lowercase: modelType == "siglip2")
        let textPath = snapshot.reference.onnxPath(graph: "text_model")
        // Without a tokenizer this server reads (a SigLIP repository with only tokenizer.json), the
        // images are served and the texts refused by name.
        if tokenizer != nil, FileManager.default.fileExists(atPath: snapshot.path(textPath)) {
            let file = try ModelFiles.graph(textPath, in: snapshot)
            text = try context.runtime.makeSession(modelPath: file.path, options: context.sessionOptions)
            bytes += file.bytes
        }
        let (scale, bias) = logitParameters(snapshot)
        return EmbeddingsModel(reference: snapshot.reference, processor: ImageProcessor(config: processorConfig),
                               vision: vision, text: text, tokenizer: text == nil ? nil : tokenizer, kind: kind,
                               logitScale: scale.map { Float(exp(Double($0))) }, logitBias: bias, memoryBytes: bytes,
                               maxTokens: maxTokens)
    }

    /// The trained logit_scale (before exp) and logit_bias: the project exporter's marker
    /// (`vision_models_api.json`), initializers of the combined graph (`onnx/model.onnx`, as optimum
    /// exports it), or tensors of `model.safetensors`.
    static func logitParameters(_ snapshot: ModelSnapshot) -> (scale: Float?, bias: Float?) {
        let marker = ModelFiles.jsonObject("vision_models_api.json", in: snapshot)
        if let scale = (marker["logit_scale"] as? NSNumber)?.floatValue {
            return (scale, (marker["logit_bias"] as? NSNumber)?.floatValue)
        }
        let combined = snapshot.path("onnx/model.onnx")
        if FileManager.default.fileExists(atPath: combined), let initializers = try? ONNXInitializers.read(path: combined) {
            let scalars = Dictionary(initializers.compactMap { i in i.scalar.map { (i.name, $0) } }) { a, _ in a }
            if let scale = scalars["logit_scale"] { return (scale, scalars["logit_bias"]) }
            // Traced under other names (optimum's SigLIP export: `onnx::Exp_N`): the logits are
            // Mul(similarity, Exp(scale)), then Add(that, bias).
            if let nodes = try? ONNXInitializers.nodes(path: combined) {
                for exp in nodes where exp.op == "Exp" {
                    guard let input = exp.inputs.first, let scale = scalars[input], let out = exp.outputs.first else { continue }
                    let mul = nodes.first { $0.op == "Mul" && $0.inputs.contains(out) }
                    let add = mul?.outputs.first.flatMap { m in nodes.first { $0.op == "Add" && $0.inputs.contains(m) } }
                    let bias = add?.inputs.lazy.compactMap { scalars[$0] }.first
                    return (scale, bias)
                }
            }
        }
        let weights = snapshot.path("model.safetensors")
        if FileManager.default.fileExists(atPath: weights), let file = try? SafetensorsFile(path: weights) {
            func scalar(_ name: String) -> Float? {
                guard let entry = file.entries[name], entry.dtype == .f32, entry.shape.reduce(1, *) == 1 else { return nil }
                return file.bytes(entry).loadUnaligned(as: Float.self)
            }
            return (scalar("logit_scale"), scalar("logit_bias"))
        }
        return (nil, nil)
    }

    /// A row divided by its L2 norm, as transformers normalises embeddings.
    static func normalised(_ row: [Float]) -> [Float] {
        let norm = sqrt(row.reduce(0) { $0 + $1 * $1 })
        return norm > 0 ? row.map { $0 / norm } : row
    }

    /// The rows of a [N, D] output.
    static func rows(_ t: Tensor) -> [[Float]] {
        let d = t.shape.last ?? 0, values = t.floats
        guard d > 0 else { return [] }
        return stride(from: 0, to: values.count, by: d).map { Array(values[$0..<($0 + d)]) }
    }

    /// The vision graph's feeds for processed images: SigLIP 2 NaFlex's patches, mask and grids
    /// as one batch; else pixel_values, one batch when the images share a size (CLIP's centre
    /// crop), else one image at a time.
    func visionBatches(_ planes: [PlanarImage]) -> [[String: Tensor]] {
        if case .maxPatches(let patch, let budget) = processor.config.resize {
            var feeds = NaFlexPatches.batch(planes, patchSize: patch, maxPatches: budget)
            // The mask in the element type the graph declares (transformers' processor makes int32).
            if vision.inputs.first(where: { $0.name == "pixel_attention_mask" })?.elementType == .int64,
               let mask = feeds["pixel_attention_mask"], case .int32(let values) = mask.storage {
                feeds["pixel_attention_mask"] = .int64(values.map(Int64.init), shape: mask.shape)
            }
            return [feeds]
        }
        let batches = Set(planes.map { [$0.width, $0.height] }).count == 1 ? [planes] : planes.map { [$0] }
        return batches.map { ["pixel_values": ImageProcessor.stack($0).pixelValues] }
    }

    /// Image embeddings [N, D] as the graph gives them. Blocking.
    func imageEmbeddings(_ feeds: [String: Tensor]) throws -> Tensor {
        guard let out = try vision.run(feeds, outputNames: [imageOutput])[imageOutput] else {
            throw VisionError.runtimeFailure("the vision model did not return \(imageOutput)")
        }
        return out
    }

    /// Each text's ids as the model's tokenizer makes them; a 400 for a text longer than the
    /// model reads (CLIP), or a model whose texts are not served.
    func tokens(_ texts: [String]) throws -> [[Int]] {
        guard let tokenizer else {
            throw VisionError.invalidInput(kind == .siglip
                ? "'\(reference.repoID)' has no tokenizer this server reads (spiece.model, or a BPE tokenizer.json as "
                  + "SigLIP 2 ships) or no onnx/text_model.onnx: it embeds images only"
                : "'\(reference.repoID)' has no text model (onnx/text_model.onnx) or tokenizer.json: it embeds images only")
        }
        return try texts.map { text in
            let ids = tokenizer.encode(text)
            guard ids.count <= maxTokens else {
                throw VisionError.invalidInput("text '\(text.prefix(40))' is \(ids.count) tokens; the model reads at most \(maxTokens)")
            }
            return ids
        }
    }

    /// Text embeddings [N, D] for token lists, padded as the pipeline pads them: to the longest
    /// with the end token for CLIP (whose causal text encoder pools at the first end token, so the
    /// padding after it changes nothing), to the model's length with the pad token for SigLIP (which
    /// pools at the last position). Blocking.
    func textEmbeddings(_ ids: [[Int]]) throws -> Tensor {
        guard let text, let tokenizer else { throw VisionError.internalError("no text model") }
        let length = tokenizer.paddedLength ?? (ids.map(\.count).max() ?? 0)
        var flat: [Int64] = [], mask: [Int64] = []
        for row in ids {
            let padding = [Int64](repeating: Int64(tokenizer.padID), count: length - row.count)
            let ones = [Int64](repeating: 1, count: row.count), zeros = [Int64](repeating: 0, count: length - row.count)
            flat += tokenizer.padsLeft ? padding + row.map(Int64.init) : row.map(Int64.init) + padding
            mask += tokenizer.padsLeft ? zeros + ones : ones + zeros
        }
        var feeds: [String: Tensor] = ["input_ids": .int64(flat, shape: [ids.count, length])]
        if text.inputs.contains(where: { $0.name == "attention_mask" }) {
            feeds["attention_mask"] = .int64(mask, shape: [ids.count, length])
        }
        guard let out = try text.run(feeds, outputNames: [textOutput])[textOutput] else {
            throw VisionError.runtimeFailure("the text model did not return \(textOutput)")
        }
        return out
    }
}
