import Synchronization
import VisionCore

/// The sessions one model's load made, by graph file, so `/models/status` can say where each graph
/// runs and why (a session's placement changes while `auto` times it). Sessions are held weakly: a
/// session the model dropped (a load-time probe) is not kept alive by the ledger.
final class SessionLedger: Sendable {
    private final class WeakSession: @unchecked Sendable {
        weak var session: (any InferenceSession)?
        init(_ session: any InferenceSession) { self.session = session }
    }

    private let sessions = Mutex<[(graph: String, session: WeakSession)]>([])

    /// Each live session's graph and placement, in the order the load made them.
    var placements: [(graph: String, placement: ProviderPlacement)] {
        sessions.withLock { list in list.compactMap { entry in entry.session.session.map { (entry.graph, $0.placement) } } }
    }

    /// `runtime` with every session it makes recorded here.
    func recording(_ runtime: any InferenceRuntime) -> any InferenceRuntime {
        SessionWrappingRuntime(base: runtime) { [self] session, modelPath in
            let graph = modelPath.split(separator: "/").suffix(2).joined(separator: "/")
            sessions.withLock { $0.append((graph, WeakSession(session))) }
            return session
        }
    }
}
