import Foundation
import VisionCore

/// Object detection as transformers' `pipeline("object-detection")` over a DETR-style graph:
/// the processor, the graph, then `post_process_object_detection` (softmax over the classes and
/// "no object", the best real class per query, boxes from centre/size to corners in the
/// original image's pixels, kept above the threshold, in query order).
public struct ObjectDetectionService: Sendable {
    let context: EngineContext

    public init(context: EngineContext) { self.context = context }

    public func run(_ request: ObjectDetectionRequest) async throws -> ObjectDetectionResponse {
        let start = ContinuousClock.now
        let images = try await context.images.load(request.images.images.map(\.source))
        let model = try await context.models.model(ObjectDetectionFamily.loader, request.selection)
        var results: [Detections] = []
        // One image at a time, as the pipeline runs them (no padding from another image).
        for image in images {
            let inputs = try await context.images.compute { model.inputs(image) }
            let out = try await context.inference.run { try model.run(inputs) }
            results.append(Self.postProcess(logits: out.logits, boxes: out.boxes, labels: model.labels,
                                            threshold: request.threshold, width: image.width, height: image.height))
        }
        return ObjectDetectionResponse(results: results, modelID: model.reference.description,
                                       processingTime: (ContinuousClock.now - start).seconds,
                                       single: request.images.isSingle)
    }

    /// The first batch entry's detections.
    static func postProcess(logits: Tensor, boxes: Tensor, labels: [String], threshold: Float,
                            width: Int, height: Int) -> Detections {
        let queries = logits.shape[1], classes = logits.shape[2]
        let l = logits.floats, b = boxes.floats
        var scores: [Float] = [], names: [String] = [], corners: [[Float]] = []
        let w = Float(width), h = Float(height)
        for q in 0..<queries {
            let row = l[(q * classes)..<((q + 1) * classes)]
            let m = row.max() ?? 0
            let e = row.map { exp($0 - m) }
            let sum = e.reduce(0, +)
            // The best real class (the last one is "no object"); the first of equal scores.
            var best = 0
            for c in 1..<(classes - 1) where e[c] > e[best] { best = c }
            let score = e[best] / sum
            guard score > threshold else { continue }
            let cx = b[q * 4], cy = b[q * 4 + 1], bw = b[q * 4 + 2], bh = b[q * 4 + 3]
            scores.append(score)
            names.append(labels[best])
            corners.append([(cx - 0.5 * bw) * w, (cy - 0.5 * bh) * h, (cx + 0.5 * bw) * w, (cy + 0.5 * bh) * h])
        }
        return Detections(scores: scores, labels: names, boxes: corners)
    }
}
