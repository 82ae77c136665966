import Foundation
import VisionCore

/// Image and text embeddings, zero-shot classification and image features, over one dual encoder.
/// Images run through the vision graph one at a time (as the pipelines run them); a request's
/// texts through the text graph as one batch.
public struct EmbeddingsService: Sendable {
    let context: EngineContext
    let limits: EmbeddingsLimits

    public init(context: EngineContext, limits: EmbeddingsLimits = EmbeddingsLimits()) {
        self.context = context
        self.limits = limits
    }

    func imageEmbeddings(_ images: [RGBImage], model: EmbeddingsModel) async throws -> [Tensor] {
        var out: [Tensor] = []
        for image in images {
            let pixels = try await context.images.compute { model.processor.processBatch([image]).pixelValues }
            out.append(try await context.inference.run { try model.imageEmbeddings(pixels) })
        }
        return out
    }

    func textEmbeddings(_ texts: [String], model: EmbeddingsModel) async throws -> [[Float]] {
        guard !texts.isEmpty else { return [] }
        let ids = try model.tokens(texts)
        let raw = try await context.inference.run { try model.textEmbeddings(ids) }
        return EmbeddingsModel.normalised(raw)
    }

    public func embed(_ request: EmbeddingsRequest) async throws -> EmbeddingsResponse {
        let start = ContinuousClock.now
        try request.validate(limits: limits)
        let images = try await context.images.load(request.images.map(\.source))
        let model = try await context.models.model(EmbeddingsFamily.loader, request.selection)
        let texts = try await textEmbeddings(request.texts, model: model)
        let vectors = try await imageEmbeddings(images, model: model).flatMap(EmbeddingsModel.normalised)
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
        for vector in try await imageEmbeddings(images, model: model).flatMap(EmbeddingsModel.normalised) {
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
        let rows = try await imageEmbeddings(images, model: model).map(\.floats)
        return ImageFeatureResponse(features: rows, modelID: model.reference.description,
                                    processingTime: (ContinuousClock.now - start).seconds, single: request.images.isSingle)
    }
}
