import Foundation
import Logging
import VisionCore

/// Runs DINOv3 feature extraction: all images of a request go through the model as one batch.
public struct DINOv3Service: Sendable {
    let context: EngineContext
    let logger: Logger

    public init(context: EngineContext, logger: Logger = Logger(label: "vision-models-api")) {
        self.context = context
        self.logger = logger
    }

    public func run(_ request: DINOv3Request) async throws -> DINOv3Response {
        let start = ContinuousClock.now
        var timings = StageTimings()
        let images = try await context.images.load(request.images.map(\.source))
        timings.record("images", since: start)
        let model = try await context.models.model(DINOv3Family.loader, request.selection)
        let preprocessStart = ContinuousClock.now
        let pixels = try await context.images.compute { model.pixelValues(images) }
        timings.record("preprocess", since: preprocessStart)
        let inferenceStart = ContinuousClock.now
        let (hidden, pooled) = try await context.inference.run { try model.features(pixels) }
        timings.record("inference", since: inferenceStart)
        logger.debug("dinov3 request", metadata: ["images": "\(images.count)", "timings": "\(timings)"])
        return DINOv3Response(lastHiddenState: hidden, poolerOutput: pooled, modelID: model.reference.description,
                              processingTime: (ContinuousClock.now - start).seconds, tensorFormat: request.tensorFormat)
    }
}
