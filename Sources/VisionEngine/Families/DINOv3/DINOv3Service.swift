import VisionCore

/// Runs DINOv3 feature extraction: all images of a request go through the model as one batch.
public struct DINOv3Service: Sendable {
    let context: EngineContext

    public init(context: EngineContext) { self.context = context }

    public func run(_ request: DINOv3Request) async throws -> DINOv3Response {
        let start = ContinuousClock.now
        let images = try await context.images.load(request.images.map(\.source))
        let loaded = try await context.models.model(.dinov3, modelID: request.modelID, variant: request.variant,
                                                   device: request.device)
        guard let model = loaded as? DINOv3Model else {
            throw VisionError.internalError("the dinov3 slot holds another kind of model")
        }
        let (hidden, pooled) = try await context.inference.run { try model.features(images) }
        return DINOv3Response(lastHiddenState: hidden, poolerOutput: pooled, modelID: model.reference.description,
                              processingTime: (ContinuousClock.now - start).seconds, tensorFormat: request.tensorFormat)
    }
}
