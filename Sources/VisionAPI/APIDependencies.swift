import VisionCore
import VisionEngine

/// What the routes call into. Built by the app builder.
public struct APIDependencies: Sendable {
    public let models: ModelManager
    /// The served families: their routes, schemas and `/health` and `/metrics` parts.
    public let families: FamilyRegistry
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
    /// What `/metrics` renders and the factory the request metrics record into.
    public var metrics: MetricsExporter = .none
    /// What the model cache holds, for `/models/cache`; nil answers an empty list.
    public var cacheInventory: (any ModelCacheInventory)?

    public init(models: ModelManager, families: FamilyRegistry, runtimeVersion: String, availableDevices: [ComputeDevice],
                responseEncoder: BlockingExecutor, readiness: Readiness = Readiness()) {
        self.models = models
        self.families = families
        self.runtimeVersion = runtimeVersion
        self.availableDevices = availableDevices
        self.responseEncoder = responseEncoder
        self.readiness = readiness
    }
}
