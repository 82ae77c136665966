/// Where a session runs.
public enum ComputeDevice: String, Equatable, Encodable, WireEnum {
    case cpu
    case cuda
}

/// How a session is created.
public struct SessionOptions: Sendable, Equatable {
    /// Threads one operator may use; nil means the runtime's default (one per physical core).
    public var intraOpThreads: Int?
    public var device: ComputeDevice
    /// Whether idle operator threads busy-wait for more work (faster back-to-back runs, but the
    /// spinning takes cores from everything else).
    public var allowSpinning: Bool
    /// Whether CPU tensors come from the runtime's growing arena (kept for the session's life,
    /// grown in powers of two) instead of the system allocator (freed as soon as a tensor dies).
    public var cpuMemoryArena: Bool
    /// Whether the runtime plans one block for all intermediate tensors from the first run's
    /// shapes (reused while input shapes repeat) instead of allocating each one.
    public var memoryPattern: Bool

    public init(intraOpThreads: Int? = nil, device: ComputeDevice = .cpu, allowSpinning: Bool = false,
                cpuMemoryArena: Bool = true, memoryPattern: Bool = false) {
        self.intraOpThreads = intraOpThreads
        self.device = device
        self.allowSpinning = allowSpinning
        self.cpuMemoryArena = cpuMemoryArena
        self.memoryPattern = memoryPattern
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
    /// A session over a graph that ships without (some of) its weights: each initializer named in
    /// `weights` takes that buffer, without a copy (the session keeps the buffers' owners alive).
    func makeSession(modelPath: String, options: SessionOptions, weights: [String: WeightBuffer]) throws
        -> any InferenceSession
}

extension InferenceRuntime {
    public func makeSession(modelPath: String, options: SessionOptions, weights: [String: WeightBuffer]) throws
        -> any InferenceSession {
        guard weights.isEmpty else {
            throw VisionError.runtimeFailure("this inference runtime cannot bind weights to a graph")
        }
        return try makeSession(modelPath: modelPath, options: options)
    }
}
