/// Where a session runs.
public enum ComputeDevice: String, Sendable, Equatable, Codable, CaseIterable {
    case cpu
    case cuda
}

/// How a session is created.
public struct SessionOptions: Sendable, Equatable {
    /// Threads one operator may use; nil means all cores.
    public var intraOpThreads: Int?
    public var device: ComputeDevice
    /// CUDA device ordinal when `device == .cuda`.
    public var deviceID: Int
    /// Whether idle operator threads busy-wait for more work (faster back-to-back runs, but the
    /// spinning takes cores from everything else).
    public var allowSpinning: Bool

    public init(intraOpThreads: Int? = nil, device: ComputeDevice = .cpu, deviceID: Int = 0, allowSpinning: Bool = false) {
        self.intraOpThreads = intraOpThreads
        self.device = device
        self.deviceID = deviceID
        self.allowSpinning = allowSpinning
    }
}

/// A loaded model graph. `run` blocks: call it only from inference threads, never from an event
/// loop or the cooperative pool.
public protocol InferenceSession: AnyObject, Sendable {
    var inputs: [TensorInfo] { get }
    var outputs: [TensorInfo] { get }
    /// The device the session actually runs on.
    var device: ComputeDevice { get }
    /// Runs the graph; returns the requested outputs (all outputs when `outputNames` is empty).
    func run(_ feeds: [String: Tensor], outputNames: [String]) throws -> [String: Tensor]
}

/// A runtime that turns model files into sessions.
public protocol InferenceRuntime: Sendable {
    /// The runtime's own version, for status pages.
    var version: String { get }
    /// Devices this runtime library can run on.
    var availableDevices: [ComputeDevice] { get }
    func makeSession(modelPath: String, options: SessionOptions) throws -> any InferenceSession
}
