import VisionCore

/// A runtime whose every session passes through `wrap` (with its graph file's path) on the way
/// out: how the engine meters runs and records where each graph landed, without the families knowing.
struct SessionWrappingRuntime: InferenceRuntime {
    let base: any InferenceRuntime
    let wrap: @Sendable (any InferenceSession, String) -> any InferenceSession

    var version: String { base.version }
    var availableDevices: [ComputeDevice] { base.availableDevices }
    var providerAvailability: [(provider: ExecutionProvider, status: String)] { base.providerAvailability }

    func makeSession(modelPath: String, options: SessionOptions) throws -> any InferenceSession {
        try makeSession(modelPath: modelPath, options: options, weights: [:])
    }

    func makeSession(modelPath: String, options: SessionOptions, weights: [String: WeightBuffer]) throws
        -> any InferenceSession {
        wrap(try base.makeSession(modelPath: modelPath, options: options, weights: weights), modelPath)
    }
}
