import Foundation
import Hummingbird
import Synchronization
import TestSupport
import Testing

/// Image URLs through the fetch guard, against a local image host (allowed by IMAGE_URL_ALLOWLIST)
/// that also redirects to an address that is not allowed.
@Suite struct ImageURLTests {
    /// Serves the fixture PNG and a few hostile variations on 127.0.0.1, for the body's duration.
    /// Requests for /slow.png seen by the image hosts (only the SIGTERM test asks for it).
    static let slowFetches = Atomic<Int>(0)

    static func withImageHost<T>(_ body: (Int) async throws -> T) async throws -> T {
        let png = try FixtureFiles.bytes("preprocessing/wide_90x151.png")
        let router = Router()
        router.get("/img.png") { _, _ in
            Response(status: .ok, headers: [.contentType: "image/png"], body: .init(byteBuffer: ByteBuffer(bytes: png)))
        }
        router.get("/slow.png") { _, _ in
            slowFetches.add(1, ordering: .relaxed)
            try await Task.sleep(for: .milliseconds(1500))
            return Response(status: .ok, headers: [.contentType: "image/png"], body: .init(byteBuffer: ByteBuffer(bytes: png)))
        }
        router.get("/big.png") { _, _ in
            Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: [UInt8](repeating: 7, count: 300_000))))
        }
        let server = LoopbackServer.Port()
        router.get("/redirect-in") { _, _ in Response(status: .found, headers: [.location: "/img.png"]) }
        router.get("/redirect-out") { _, _ in
            let port = server.current
            return Response(status: .found, headers: [.location: "http://127.0.0.2:\(port)/img.png"])
        }
        return try await LoopbackServer.with(router, port: server, body)
    }

    @Test func allowListedHostIsFetchedAndEveryHopIsChecked() async throws {
        try await Self.withImageHost { port in
            let env = ["IMAGE_URL_ALLOWLIST": "127.0.0.1/32", "MAX_IMAGE_BYTES": "200000"]
            try await ServerProcess.with(root: try rootWithModels(), environment: env) { server in
                func infer(_ path: String) async throws -> ServerProcess.Reply {
                    try await server.post("/inference/dinov3", json: [
                        "images": ["http://127.0.0.1:\(port)\(path)"], "model_id": "tests/dinov3-vit-tiny",
                    ])
                }
                let ok = try await infer("/img.png")
                #expect(ok.status == 200, "\(ok.text.prefix(200))")
                #expect((ok.json["features"] as? [String: Any])?["pooler_output_shape"] as? [Int] == [1, 32])
                let viaRedirect = try await infer("/redirect-in")
                #expect(viaRedirect.status == 200, "\(viaRedirect.text.prefix(200))")
                let out = try await infer("/redirect-out")
                #expect(out.status == 400)
                #expect((out.json["detail"] as? String ?? "").contains("'127.0.0.2'"))
                let missing = try await infer("/nothing-here")
                #expect(missing.status == 400)
                #expect((missing.json["detail"] as? String ?? "").contains("HTTP 404"))
                let big = try await infer("/big.png")
                #expect(big.status == 413, "\(big.text.prefix(200))")
            }
        }
    }

    /// SIGTERM while a request is in flight: the server stops accepting, finishes the request,
    /// then exits cleanly.
    @Test func sigtermFinishesTheRequestInFlight() async throws {
        try await Self.withImageHost { port in
            let server = try await ServerProcess(root: try rootWithModels(), environment: ["IMAGE_URL_ALLOWLIST": "127.0.0.1/32"])
            let before = Self.slowFetches.load(ordering: .relaxed)
            async let reply = server.post("/inference/dinov3", json: [
                "images": ["http://127.0.0.1:\(port)/slow.png"], "model_id": "tests/dinov3-vit-tiny",
            ])
            // SIGTERM once the request is in flight (the server is fetching its image), however
            // slowly a loaded machine got there.
            let deadline = ContinuousClock.now + .seconds(30)
            while Self.slowFetches.load(ordering: .relaxed) == before && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            kill(server.process.processIdentifier, SIGTERM)
            let answered = try await reply
            let status = try await server.stop()
            #expect(answered.status == 200, "\(answered.text.prefix(200))")
            #expect(status == 0)
            #expect(server.log.contains("engine stopped"))
        }
    }

    @Test func loopbackHostIsRefusedWithoutTheAllowList() async throws {
        try await Self.withImageHost { port in
            try await ServerProcess.with(root: try rootWithModels()) { server in
                let reply = try await server.post("/inference/dinov3", json: [
                    "images": [["data": "http://127.0.0.1:\(port)/img.png", "format": "url"]],
                    "model_id": "tests/dinov3-vit-tiny",
                ])
                #expect(reply.status == 400)
                #expect((reply.json["detail"] as? String ?? "").contains("non-public"))
            }
        }
    }
}
