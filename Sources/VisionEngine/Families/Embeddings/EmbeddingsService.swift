import Foundation
import VisionCore

/// Image and text embeddings, zero-shot classification and image features, over one dual encoder.
/// A request's images run through the vision graph as the model batches them (one batch when they
/// share a size or are NaFlex patches, else one at a time); its texts through the text graph as one batch.
public struct EmbeddingsService: Sendable {
    let context: EngineContext
    let limits: EmbeddingsLimits

    public init(context: EngineContext, limits: EmbeddingsLimits = EmbeddingsLimits()) {
        self.context = context
        self.limits = limits
    }

    /// Each image's embedding row as the vision graph gives it (not normalised).
    func imageEmbeddings(_ images: [RGBImage], model: EmbeddingsModel) async throws -> [[Float]] {
        guard !images.isEmpty else { return [] }
        let batches = try await context.images.compute { model.visionBatches(images.map(model.processor.process)) }
        var rows: [[Float]] = []
        for feeds in batches {
            let out = try await context.inference.run { try model.imageEmbeddings(feeds) }
            rows += EmbeddingsModel.rows(out)
        }
        return rows
    }

    func textEmbeddings(_ texts: [String], model: EmbeddingsModel) async throws -> [[Float]] {
        guard !texts.isEmpty else { return [] }
        let ids = try model.tokens(texts)
        let raw = try await context.inference.run { try model.textEmbeddings(ids) }
        return EmbeddingsModel.rows(raw).map(EmbeddingsModel.normalised)
    }

    public func embed(_ request: EmbeddingsRequest) async throws -> EmbeddingsResponse {
        let start = ContinuousClock.now
        try request.validate(limits: limits)
        let images = request.images.isEmpty ? [] : try await context.images.load(request.images.map(\.source))
        let model = try await context.models.model(EmbeddingsFamily.loader, request.selection)
        let texts = try await textEmbeddings(request.texts, model: model)
        let vectors = try await imageEmbeddings(images, model: model).map(EmbeddingsModel.normalised)
        return EmbeddingsResponse(imageEmbeddings: vectors, textEmbeddings: texts, encoding: request.encoding,
                                  logitScale: model.logitScale, logitBias: model.logitBias,
                                  modelID: model.reference.description, processingTime: (ContinuousClock.now - start).seconds)
    }

    /// transformers' zero-shot-image-classification pipeline: each label in the template, the
    /// logits scale × cosine (+ bias), softmax over the labels for CLIP, sigmoid for SigLIP, best first.
    public func zeroShot(_ request: ZeroShotClassificationRequest) async throws -> ImageClassificationResponse {
        let start = ContinuousClock.now
        try request.validate(limits: limits)
        let images = try await context.images.load(request.images.images.map(\.source))
        let model = try await context.models.model(EmbeddingsFamily.loader, request.selection)
        guard let scale = model.logitScale else {
            throw VisionError.invalidInput("'\(model.reference.repoID)' has no logit scale (onnx/model.onnx or "
                                           + "model.safetensors): it gives embeddings, not zero-shot scores")
        }
        let texts = try await textEmbeddings(request.sequences, model: model)
        var results: [[Classification]] = []
        for vector in try await imageEmbeddings(images, model: model).map(EmbeddingsModel.normalised) {
            let logits = texts.map { t in zip(vector, t).reduce(0) { $0 + $1.0 * $1.1 } * scale + (model.logitBias ?? 0) }
            // The image-classification pipeline's arithmetic and order (a stable sort, best first).
            let scores = ImageClassificationService.scores(logits, model.kind == .siglip ? .sigmoid : .softmax)
            results.append(ImageClassificationService.top(scores, labels: request.candidateLabels, k: scores.count))
        }
        return ImageClassificationResponse(results: results, modelID: model.reference.description,
                                           processingTime: (ContinuousClock.now - start).seconds,
                                           single: request.images.isSingle)
    }

    /// The image-feature-extraction pipeline's answer: each image's embedding as the vision graph gives it.
    public func features(_ request: ImageFeatureRequest) async throws -> ImageFeatureResponse {
        let start = ContinuousClock.now
        let images = try await context.images.load(request.images.images.map(\.source))
        let model = try await context.models.model(EmbeddingsFamily.loader, request.selection)
        let rows = try await imageEmbeddings(images, model: model)
        return ImageFeatureResponse(features: rows, modelID: model.reference.description,
                                    processingTime: (ContinuousClock.now - start).seconds, single: request.images.isSingle)
    }
}
