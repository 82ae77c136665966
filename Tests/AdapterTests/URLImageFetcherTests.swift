import Foundation
import Hummingbird
import RemoteImages
import Synchronization
import TestSupport
import Testing
import VisionCore

/// The fetch guard connects to the address it checked: a resolver that answers differently on a
/// second lookup (DNS rebinding) cannot redirect the connection, and every redirect hop is
/// resolved and checked again.
@Suite struct URLImageFetcherTests {
    final class Recorder: Sendable {
        let server = LoopbackServer.Port()
        let hosts = Mutex<[String]>([])
        let lookups = Mutex<[String]>([])
    }

    /// A resolver whose first answer for a name is 127.0.0.1 and every later one 10.1.2.3 (private,
    /// refused); `other.test` is always 10.0.0.5.
    static func rebindingResolver(_ recorder: Recorder) -> @Sendable (String) async throws -> [[UInt8]] {
        { host in
            let count = recorder.lookups.withLock { list in
                list.append(host)
                return list.filter { $0 == host }.count
            }
            if host == "other.test" { return [[10, 0, 0, 5]] }
            return count == 1 ? [[127, 0, 0, 1]] : [[10, 1, 2, 3]]
        }
    }

    static func withHost<T>(_ recorder: Recorder, _ body: (Int) async throws -> T) async throws -> T {
        let router = Router()
        router.get("/img") { request, _ in
            recorder.hosts.withLock { $0.append(request.head.authority ?? "") }
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: [1, 2, 3, 4])))
        }
        router.get("/again") { _, _ in
            let port = recorder.server.current
            return Response(status: .found, headers: [.location: "http://images.test:\(port)/img"])
        }
        router.get("/elsewhere") { _, _ in
            let port = recorder.server.current
            return Response(status: .found, headers: [.location: "http://other.test:\(port)/img"])
        }
        return try await LoopbackServer.with(router, port: recorder.server, body)
    }

    @Test func connectsToTheCheckedAddressWithTheOriginalHost() async throws {
        let recorder = Recorder()
        try await Self.withHost(recorder) { port in
            let fetcher = URLImageFetcher(policy: AddressPolicy(allowList: ["127.0.0.1/32"]),
                                          resolver: Self.rebindingResolver(recorder))
            // `images.test` exists in no DNS: the bytes can only come from the vetted 127.0.0.1.
            let bytes = try await fetcher.fetch("http://images.test:\(port)/img")
            #expect(bytes == [1, 2, 3, 4])
            #expect(recorder.lookups.withLock { $0 } == ["images.test"], "one resolution per hop, none by the client")
            #expect(recorder.hosts.withLock { $0 } == ["images.test:\(port)"], "the Host header keeps the name")
        }
    }

    @Test func aRedirectHopIsResolvedAndCheckedAgain() async throws {
        let recorder = Recorder()
        try await Self.withHost(recorder) { port in
            let fetcher = URLImageFetcher(policy: AddressPolicy(allowList: ["127.0.0.1/32"]),
                                          resolver: Self.rebindingResolver(recorder))
            // The same name on the next hop now answers 10.1.2.3: refused, not connected.
            await #expect(throws: VisionError.self) { try await fetcher.fetch("http://images.test:\(port)/again") }
            #expect(recorder.lookups.withLock { $0 } == ["images.test", "images.test"])
            #expect(recorder.hosts.withLock { $0 }.isEmpty, "the rebound hop never reached the image route")
            // A hop to another name that resolves to a private address: refused as well.
            let lookups = Recorder()
            let second = URLImageFetcher(policy: AddressPolicy(allowList: ["127.0.0.1/32"]),
                                         resolver: Self.rebindingResolver(lookups))
            await #expect(throws: VisionError.self) { try await second.fetch("http://images.test:\(port)/elsewhere") }
            #expect(lookups.lookups.withLock { $0 } == ["images.test", "other.test"])
            #expect(recorder.hosts.withLock { $0 }.isEmpty)
        }
    }

    @Test func aCallbackPostGoesToTheCheckedAddress() async throws {
        let recorder = Recorder()
        try await Self.withHost(recorder) { port in
            let fetcher = URLImageFetcher(policy: AddressPolicy(allowList: ["127.0.0.1/32"]),
                                          resolver: Self.rebindingResolver(recorder))
            // A route that only answers GET: the POST reaching it at all proves the vetted connection.
            let status = try await fetcher.postJSON("http://images.test:\(port)/img", body: Array("{}".utf8))
            #expect(status == 405 || status == 404)
            #expect(recorder.lookups.withLock { $0 } == ["images.test"])
        }
    }
}
