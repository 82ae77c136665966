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
    /// The request path's blocking work, off the cooperative pool: images decoded, responses
    /// encoded to JSON (a megabyte-sized feature or mask response is CPU work), small file reads
    /// (the cache listing, /proc). The same threads the engine decodes images on.
    public let requestWork: BlockingExecutor
    /// What `/metrics` renders and the factory the request metrics record into.
    public var metrics: MetricsExporter = .none
    /// Each CPU execution provider and whether it can be used here, for `/health`.
    public var providers: @Sendable () -> [(provider: ExecutionProvider, status: String)] = { [(.cpu, "available")] }
    /// What the model cache holds, for `/models/cache`; nil answers an empty list.
    public var cacheInventory: (any ModelCacheInventory)?

    public init(models: ModelManager, families: FamilyRegistry, runtimeVersion: String, availableDevices: [ComputeDevice],
                requestWork: BlockingExecutor, readiness: Readiness = Readiness()) {
        self.models = models
        self.families = families
        self.runtimeVersion = runtimeVersion
        self.availableDevices = availableDevices
        self.requestWork = requestWork
        self.readiness = readiness
    }
}
