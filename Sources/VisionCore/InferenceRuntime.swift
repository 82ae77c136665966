/// Where a session runs.
public enum ComputeDevice: String, Equatable, Encodable, WireEnum {
    case cpu
    case cuda
}

/// The CPU execution providers a graph can run on: ONNX Runtime's own kernels, or OpenVINO's (the
/// ONNX Runtime plugin, on Intel CPUs).
public enum ExecutionProvider: String, Sendable, Equatable, CaseIterable {
    case cpu
    case openvino
}

/// Which provider sessions should use (`EXECUTION_PROVIDER`): one of them, or `auto`, the faster of
/// the two for each graph as measured on its first runs.
public enum ProviderPreference: String, Sendable, Equatable, CaseIterable {
    case auto
    case cpu
    case openvino
}

/// Where a session's graph runs, and why there.
public struct ProviderPlacement: Sendable, Equatable {
    public var provider: ExecutionProvider
    public var reason: String
    /// Whether `auto` is still timing the candidates (the provider is the one of the last run).
    public var deciding: Bool

    public init(provider: ExecutionProvider, reason: String, deciding: Bool = false) {
        self.provider = provider
        self.reason = reason
        self.deciding = deciding
    }
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
    /// The execution provider of CPU sessions.
    public var provider: ProviderPreference
    /// How many runs of one session the server makes at once (its inference workers). OpenVINO
    /// runs one request at a time per stream, so it gets this many streams.
    public var concurrentRuns: Int

    public init(intraOpThreads: Int? = nil, device: ComputeDevice = .cpu, allowSpinning: Bool = false,
                cpuMemoryArena: Bool = true, memoryPattern: Bool = false, provider: ProviderPreference = .cpu,
                concurrentRuns: Int = 1) {
        self.intraOpThreads = intraOpThreads
        self.device = device
        self.allowSpinning = allowSpinning
        self.cpuMemoryArena = cpuMemoryArena
        self.memoryPattern = memoryPattern
        self.provider = provider
        self.concurrentRuns = max(1, concurrentRuns)
    }
}

/// A loaded model graph. `run` blocks: call it only from inference threads, never from an event
/// loop or the cooperative pool.
public protocol InferenceSession: AnyObject, Sendable {
    var inputs: [TensorInfo] { get }
    var outputs: [TensorInfo] { get }
    /// The device the session actually runs on.
    var device: ComputeDevice { get }
    /// Where the graph runs and why (ONNX Runtime's CPU provider unless a runtime says otherwise).
    var placement: ProviderPlacement { get }
    /// Runs the graph; returns the requested outputs (all outputs when `outputNames` is empty).
    func run(_ feeds: [String: Tensor], outputNames: [String]) throws -> [String: Tensor]
}

extension InferenceSession {
    public var placement: ProviderPlacement { ProviderPlacement(provider: .cpu, reason: "the runtime's only provider") }
}

/// A runtime that turns model files into sessions.
public protocol InferenceRuntime: Sendable {
    /// The runtime's own version, for status pages.
    var version: String { get }
    /// Devices this runtime library can run on.
    var availableDevices: [ComputeDevice] { get }
    /// Each CPU execution provider and whether it can be used here (for `/health`).
    var providerAvailability: [(provider: ExecutionProvider, status: String)] { get }
    func makeSession(modelPath: String, options: SessionOptions) throws -> any InferenceSession
    /// A session over a graph that ships without (some of) its weights: each initializer named in
    /// `weights` takes that buffer, without a copy (the session keeps the buffers' owners alive).
    func makeSession(modelPath: String, options: SessionOptions, weights: [String: WeightBuffer]) throws
        -> any InferenceSession
}

extension InferenceRuntime {
    public var providerAvailability: [(provider: ExecutionProvider, status: String)] { [(.cpu, "available")] }

    public func makeSession(modelPath: String, options: SessionOptions, weights: [String: WeightBuffer]) throws
        -> any InferenceSession {
        guard weights.isEmpty else {
            throw VisionError.runtimeFailure("this inference runtime cannot bind weights to a graph")
        }
        return try makeSession(modelPath: modelPath, options: options)
    }
}
