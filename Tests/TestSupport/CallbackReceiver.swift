import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// A loopback HTTP server that records the JSON bodies (and `X-Signature` headers) POSTed to
/// `/hook` (job callbacks); the first `failing` posts are answered 500.
public final class CallbackReceiver: Sendable {
    let state = Mutex<(port: Int, bodies: [Data], signatures: [String], failing: Int)>((0, [], [], 0))
    let task = Mutex<Task<Void, any Error>?>(nil)

    public init(failing: Int = 0) { state.withLock { $0.failing = failing } }

    public var url: String { "http://127.0.0.1:\(state.withLock { $0.port })/hook" }
    public var bodies: [Data] { state.withLock { $0.bodies } }
    public var signatures: [String] { state.withLock { $0.signatures } }

    public func start() async throws {
        let router = Router()
        router.post("/hook") { [self] request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 24)
            let signature = request.headers[HTTPField.Name("X-Signature")!] ?? ""
            let refuse = state.withLock { state -> Bool in
                if state.failing > 0 { state.failing -= 1; return true }
                state.bodies.append(Data(body.readableBytesView))
                state.signatures.append(signature)
                return false
            }
            return Response(status: refuse ? .internalServerError : .ok)
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { [self] channel in state.withLock { $0.port = channel.localAddress?.port ?? 0 } })
        task.withLock { $0 = Task { try await app.runService() } }
        for _ in 0..<500 where state.withLock({ $0.port }) == 0 { try await Task.sleep(for: .milliseconds(10)) }
    }

    public func stop() { task.withLock { $0?.cancel() } }
}
