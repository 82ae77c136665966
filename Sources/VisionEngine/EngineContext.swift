/// What every family's inference needs: models, images and the inference threads.
public struct EngineContext: Sendable {
    public let models: ModelManager
    public let images: ImagePipeline
    public let inference: BlockingExecutor

    public init(models: ModelManager, images: ImagePipeline, inference: BlockingExecutor) {
        self.models = models
        self.images = images
        self.inference = inference
    }
}
