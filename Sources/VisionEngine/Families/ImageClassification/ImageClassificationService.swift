import Foundation
import VisionCore

/// Image classification as transformers' `pipeline("image-classification")`: the processor,
/// the graph's logits, then softmax / sigmoid / none and the best `top_k` labels.
public struct ImageClassificationService: Sendable {
    let context: EngineContext

    public init(context: EngineContext) { self.context = context }

    public func run(_ request: ImageClassificationRequest) async throws -> ImageClassificationResponse {
        let start = ContinuousClock.now
        let images = try await context.images.load(request.images.images.map(\.source))
        let model = try await context.models.model(ImageClassificationFamily.loader, request.selection)
        let function = request.function ?? model.defaultFunction
        var results: [[Classification]] = []
        // One image at a time, as the pipeline runs them (processors that keep the aspect ratio
        // give each image its own size).
        for image in images {
            let pixels = try await context.images.compute { model.pixelValues(image) }
            let logits = try await context.inference.run { try model.logits(pixels) }
            results.append(Self.top(Self.scores(logits.values, function), labels: model.labels, k: request.topK))
        }
        return ImageClassificationResponse(results: results, modelID: model.reference.description,
                                           processingTime: (ContinuousClock.now - start).seconds,
                                           single: request.images.isSingle)
    }

    /// The pipeline's numpy arithmetic: softmax with the maximum subtracted, or 1 / (1 + e^-x).
    static func scores(_ logits: [Float], _ function: ClassificationFunction) -> [Float] {
        switch function {
        case .none:
            return logits
        case .sigmoid:
            return logits.map { 1 / (1 + exp(-$0)) }
        case .softmax:
            let m = logits.max() ?? 0
            let e = logits.map { exp($0 - m) }
            let sum = e.reduce(0, +)
            return e.map { $0 / sum }
        }
    }

    /// Labels by descending score, ties in label order (Python's stable sort), the first `k`.
    static func top(_ scores: [Float], labels: [String], k: Int) -> [Classification] {
        let order = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        return order.prefix(k).map { Classification(label: labels[$0], score: scores[$0]) }
    }
}

extension TaskImages {
    var isSingle: Bool {
        if case .single = self { return true }
        return false
    }
}
