import VisionCore
import VisionEngine

/// What the routes call into. Built by the app builder.
public struct APIDependencies: Sendable {
    public let models: ModelManager
    public let dinov3: DINOv3Service
    public let depthAnything: DepthAnythingService
    public let groundingDINO: GroundingDINOService
    /// ONNX Runtime's version and the devices it offers, for `/health`.
    public let runtimeVersion: String
    public let availableDevices: [ComputeDevice]
    /// Startup state for `/health/ready`.
    public let readiness: Readiness

    public init(models: ModelManager, dinov3: DINOv3Service, depthAnything: DepthAnythingService,
                groundingDINO: GroundingDINOService, runtimeVersion: String, availableDevices: [ComputeDevice], readiness: Readiness = Readiness()) {
        self.depthAnything = depthAnything
        self.groundingDINO = groundingDINO
        self.readiness = readiness
        self.models = models
        self.dinov3 = dinov3
        self.runtimeVersion = runtimeVersion
        self.availableDevices = availableDevices
    }
}
