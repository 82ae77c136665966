import VisionCore
import VisionEngine

/// What the routes call into. Built by the app builder.
public struct APIDependencies: Sendable {
    public let models: ModelManager
    public let dinov3: DINOv3Service
    public let depthAnything: DepthAnythingService
    public let groundingDINO: GroundingDINOService
    public let sam3: SAM3Service
    /// The SAM3 image-embedding cache, for its statistics in `/health`.
    public let sam3Cache: SAM3EmbeddingCache
    /// The job queue's routes; nil serves no `/jobs` routes.
    public var jobs: JobsDependencies?
    /// ONNX Runtime's version and the devices it offers, for `/health`.
    public let runtimeVersion: String
    public let availableDevices: [ComputeDevice]
    /// Startup state for `/health/ready`.
    public let readiness: Readiness
    /// Where responses are encoded to JSON (a megabyte-sized feature or mask response is CPU
    /// work that must not hold a cooperative-pool thread).
    public let responseEncoder: BlockingExecutor

    public init(models: ModelManager, dinov3: DINOv3Service, depthAnything: DepthAnythingService,
                groundingDINO: GroundingDINOService, sam3: SAM3Service, sam3Cache: SAM3EmbeddingCache,
                runtimeVersion: String, availableDevices: [ComputeDevice], responseEncoder: BlockingExecutor,
                readiness: Readiness = Readiness()) {
        self.responseEncoder = responseEncoder
        self.depthAnything = depthAnything
        self.groundingDINO = groundingDINO
        self.sam3 = sam3
        self.sam3Cache = sam3Cache
        self.readiness = readiness
        self.models = models
        self.dinov3 = dinov3
        self.runtimeVersion = runtimeVersion
        self.availableDevices = availableDevices
    }
}
