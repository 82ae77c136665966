import Synchronization

/// A session on OpenVINO whose runs with an empty input tensor (a zero-sized dimension) go to a
/// session on the reference provider instead, made on the first such run and kept. OpenVINO
/// mishandles zero-sized dimensions: on SAM 2's decoder (boxes without points: points [1, 1, 0, 2])
/// it failed a shape check in one process and, in the server, answered with the previous
/// request's masks. Other runs stay on the primary session.
public final class EmptyInputFallbackSession: InferenceSession, @unchecked Sendable {
    private let primary: any InferenceSession
    private let makeFallback: @Sendable () throws -> any InferenceSession
    private let fallback = Mutex<(any InferenceSession)?>(nil)

    public init(primary: any InferenceSession, fallback: @escaping @Sendable () throws -> any InferenceSession) {
        self.primary = primary
        self.makeFallback = fallback
    }

    public var inputs: [TensorInfo] { primary.inputs }
    public var outputs: [TensorInfo] { primary.outputs }
    public var device: ComputeDevice { primary.device }

    public var placement: ProviderPlacement {
        let base = primary.placement
        guard fallback.withLock({ $0 != nil }) else { return base }
        return ProviderPlacement(provider: base.provider, reason: base.reason + "; runs with an empty input go to the CPU provider",
                                 deciding: base.deciding)
    }

    /// Whether a run's inputs include a tensor with a zero-sized dimension.
    public static func hasEmptyInput(_ feeds: [String: Tensor]) -> Bool {
        feeds.values.contains { $0.shape.contains(0) }
    }

    public func run(_ feeds: [String: Tensor], outputNames: [String]) throws -> [String: Tensor] {
        guard Self.hasEmptyInput(feeds) else { return try primary.run(feeds, outputNames: outputNames) }
        let session = try fallback.withLock { made -> any InferenceSession in
            if let made { return made }
            let session = try makeFallback()
            made = session
            return session
        }
        return try session.run(feeds, outputNames: outputNames)
    }
}
