import Synchronization

/// Whether the server is ready for traffic: set once startup work (preloads) is done; reports why
/// not otherwise. Read by `/health/ready`.
public final class Readiness: Sendable {
    public enum State: Sendable, Equatable {
        case starting(String)
        case ready
        case failed(String)
        case stopping
    }

    private let value = Mutex(State.starting("starting"))

    public init() {}

    public var state: State { value.withLock { $0 } }

    public func set(_ state: State) { value.withLock { $0 = state } }
}
