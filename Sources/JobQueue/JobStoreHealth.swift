import Foundation
import Synchronization

/// Whether the job store answered its last call, as `/health/ready` and `vma_job_store_available`
/// report it: unavailable from its first fault until a call succeeds again.
public final class JobStoreHealth: Sendable {
    public struct State: Sendable, Equatable {
        public var available = true
        /// When the store last became unavailable (seconds since 1970), while it is.
        public var unavailableSince: Double?
        /// The last fault, as a client may read it (`JobStoreUnavailable.summary`).
        public var lastFault: String?
        /// The last fault's kind (`terminated`, `timed_out`, ...).
        public var lastFaultKind: String?
    }

    private let value = Mutex(State())

    public init() {}

    public var state: State { value.withLock { $0 } }

    /// Records a successful call; true when it ends an outage.
    @discardableResult
    public func succeeded() -> Bool {
        value.withLock { s in
            guard !s.available else { return false }
            s = State()
            return true
        }
    }

    /// Records a fault; true when it starts an outage.
    @discardableResult
    public func failed(_ fault: JobStoreUnavailable) -> Bool {
        value.withLock { s in
            let started = s.available
            s.available = false
            if started { s.unavailableSince = Date().timeIntervalSince1970 }
            s.lastFault = fault.summary
            s.lastFaultKind = fault.kind
            return started
        }
    }
}
