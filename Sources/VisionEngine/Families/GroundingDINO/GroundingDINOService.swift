import Foundation
import VisionCore

/// Open-vocabulary detection. All images of a request run as one padded batch with the same
/// text. Graphs exported by the project handle every phrase in one pass; other graphs (traced
/// with one phrase, like onnx-community's) run one pass per phrase and the detections are
/// concatenated in phrase order.
public struct GroundingDINOService: Sendable {
    let context: EngineContext
    let limits: GroundingDINOLimits

    public init(context: EngineContext, limits: GroundingDINOLimits = GroundingDINOLimits()) {
        self.context = context
        self.limits = limits
    }

    /// The original server's text: each phrase lower-cased, trimmed, a trailing "." removed, then
    /// "." appended; phrases joined with spaces.
    static func phraseText(_ prompt: String) -> String {
        var phrase = prompt.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        if phrase.hasSuffix(".") { phrase.removeLast() }
        return phrase.trimmingCharacters(in: .whitespacesAndNewlines) + "."
    }

    /// The rules over a request's phrases (each field's own bounds are its declaration's).
    func validate(prompts: [String]) throws {
        guard !prompts.isEmpty else { throw VisionError.invalidInput("prompts must name at least one phrase") }
        guard prompts.count <= limits.maxPrompts else {
            throw VisionError.invalidInput("\(prompts.count) prompts; at most \(limits.maxPrompts) per request")
        }
        for p in prompts {
            guard !p.trimmingCharacters(in: CharacterSet.whitespacesAndNewlines.union(["."])).isEmpty else {
                throw VisionError.invalidInput("a prompt is empty")
            }
            guard p.count <= limits.maxPromptCharacters else {
                throw VisionError.invalidInput("a prompt has \(p.count) characters; at most \(limits.maxPromptCharacters)")
            }
        }
    }

    func tokenIDs(_ text: String, model: GroundingDINOModel) throws -> [Int] {
        let ids = model.tokenizer.encode(text)
        guard ids.count <= model.maxTextLength else {
            throw VisionError.invalidInput("the prompts make \(ids.count) tokens; the model reads at most \(model.maxTextLength)")
        }
        return ids
    }

    public func run(_ request: GroundingDINORequest) async throws -> GroundingDINOResponse {
        let start = ContinuousClock.now
        try validate(prompts: request.prompts)
        let images = try await context.images.load(request.images.map(\.source))
        let model = try await load(request.selection)
        // One text for every phrase, or one per phrase for single-phrase graphs.
        let phrases = request.prompts.map(Self.phraseText)
        let texts = model.multiPhrase ? [phrases.joined(separator: " ")] : phrases
        let idLists = try texts.map { try tokenIDs($0, model: model) }
        let batch = try await context.images.compute { model.processor.processBatch(images) }
        var results = [Detections](repeating: Detections(), count: images.count)
        for ids in idLists {
            let raw = try await context.inference.run {
                try model.run(pixelValues: batch.pixelValues, pixelMask: batch.pixelMask, ids: ids)
            }
            let perImage = raw.queries * raw.textColumns
            for (i, image) in images.enumerated() {
                results[i].append(GroundingDINOPostProcess.detections(
                    logits: raw.logits[(i * perImage)..<((i + 1) * perImage)],
                    boxes: raw.boxes[(i * raw.queries * 4)..<((i + 1) * raw.queries * 4)],
                    queries: raw.queries, columns: raw.textColumns, ids: ids, width: image.width, height: image.height,
                    boxThreshold: request.boxThreshold, textThreshold: request.textThreshold,
                    decode: model.tokenizer.decode))
            }
        }
        return GroundingDINOResponse(results: results, modelID: model.reference.description,
                                     processingTime: (ContinuousClock.now - start).seconds)
    }

    /// The zero-shot-object-detection pipeline: one pass per candidate label (the label's own
    /// tokens, no "." added), score = sigmoid of the best text logit, kept above `threshold`,
    /// boxes truncated to integers, everything sorted by score (stable), then `top_k`.
    public func zeroShot(_ request: ZeroShotDetectionRequest) async throws -> ZeroShotDetectionResponse {
        try validate(prompts: request.candidateLabels)
        let images = try await context.images.load([request.image.source])
        let model = try await load(request.selection)
        let image = images[0]
        let batch = try await context.images.compute { model.processor.processBatch(images) }
        var found: [PipelineDetection] = []
        for label in request.candidateLabels {
            let ids = try tokenIDs(label, model: model)
            let raw = try await context.inference.run {
                try model.run(pixelValues: batch.pixelValues, pixelMask: batch.pixelMask, ids: ids)
            }
            let detections = GroundingDINOPostProcess.detections(
                logits: raw.logits[...], boxes: raw.boxes[...], queries: raw.queries, columns: raw.textColumns,
                ids: ids, width: image.width, height: image.height, boxThreshold: request.threshold,
                textThreshold: 1, decode: { _ in "" })
            for (score, box) in zip(detections.scores, detections.boxes) {
                found.append(PipelineDetection(label: label, score: score, corners: box))
            }
        }
        // Swift's sort is not stable: order by score, then by discovery order.
        let ordered = found.enumerated().sorted { a, b in
            a.element.score != b.element.score ? a.element.score > b.element.score : a.offset < b.offset
        }.map(\.element)
        let limited = request.topK.map { $0 > 0 ? Array(ordered.prefix($0)) : ordered } ?? ordered
        return ZeroShotDetectionResponse(detections: limited)
    }

    private func load(_ selection: ModelSelection) async throws -> GroundingDINOModel {
        try await context.models.model(GroundingDINOFamily.loader, selection)
    }
}
