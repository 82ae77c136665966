import Hummingbird
import Synchronization

/// A router served on 127.0.0.1 at a free port for the length of a test body.
public enum LoopbackServer {
    /// The port once the server listens; routes that build absolute URLs to the server read it.
    public final class Port: Sendable {
        let value = Mutex<Int?>(nil)
        public init() {}
        public var current: Int { value.withLock { $0 } ?? 0 }
    }

    /// Serves `router` while `body` runs, passing it the port (also published in `port`).
    public static func with<T>(_ router: Router<BasicRequestContext>, port: Port = Port(),
                               _ body: (Int) async throws -> T) async throws -> T {
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in port.value.withLock { $0 = channel.localAddress?.port } })
        let task = Task { try await app.runService() }
        defer { task.cancel() }
        for _ in 0..<500 where port.value.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
        guard let bound = port.value.withLock({ $0 }) else { throw ServerDidNotStart() }
        return try await body(bound)
    }

    struct ServerDidNotStart: Error {}
}
