import CoreMetrics
import VisionCore

/// The engine's metrics through swift-metrics, into the factory the app builder hands in (a
/// Prometheus registry when serving, nothing in tests that do not ask): model loads (count and
/// time, by model type and outcome) and graph runs (time, by model type, model and graph file).
public struct EngineMetrics: Sendable {
    /// The swift-metrics factory the metrics are made from.
    public let factory: any MetricsFactory

    /// Metrics that go nowhere.
    public static let none = EngineMetrics(factory: NOOPMetricsHandler.instance)

    public init(factory: any MetricsFactory) { self.factory = factory }

    func modelLoad(type: ModelType, succeeded: Bool, nanoseconds: Int64) {
        let dimensions = [("model_type", type.rawValue), ("outcome", succeeded ? "loaded" : "failed")]
        Counter(label: "vma_model_loads_total", dimensions: dimensions, factory: factory).increment()
        Timer(label: "vma_model_load_seconds", dimensions: dimensions, factory: factory)
            .recordNanoseconds(nanoseconds)
    }

    /// A runtime whose sessions time each run under the model's type and id (`MeteredSession`).
    func metered(_ runtime: any InferenceRuntime, type: ModelType, modelID: String) -> any InferenceRuntime {
        guard !(factory is NOOPMetricsHandler) else { return runtime }
        let factory = factory
        return SessionWrappingRuntime(base: runtime) { session, modelPath in
            let graph = modelPath.split(separator: "/").last.map(String.init) ?? modelPath
            let timer = Timer(label: "vma_inference_seconds",
                              dimensions: [("model_type", type.rawValue), ("model_id", modelID), ("graph", graph)],
                              factory: factory)
            return MeteredSession(base: session, timer: timer)
        }
    }
}

/// A session that records how long each run took.
private final class MeteredSession: InferenceSession {
    let base: any InferenceSession
    let timer: Timer

    init(base: any InferenceSession, timer: Timer) {
        self.base = base
        self.timer = timer
    }

    var inputs: [TensorInfo] { base.inputs }
    var outputs: [TensorInfo] { base.outputs }
    var device: ComputeDevice { base.device }
    var placement: ProviderPlacement { base.placement }

    func run(_ feeds: [String: Tensor], outputNames: [String]) throws -> [String: Tensor] {
        let start = ContinuousClock.now
        defer { timer.recordNanoseconds((ContinuousClock.now - start).nanoseconds) }
        return try base.run(feeds, outputNames: outputNames)
    }
}

