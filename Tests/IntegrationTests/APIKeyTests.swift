import Foundation
import TestSupport
import Testing
@testable import VisionAPI

/// `API_KEYS`, `API_KEYS_FILE` (reloaded on SIGHUP) and `METRICS_REQUIRE_KEY`, over real HTTP.
@Suite struct APIKeyTests {
    static let first = "vma-key-Alpha-31337", second = "vma-key-Bravo-4242"

    @Test func keyringParsesAndComparesWithoutLeaking() {
        #expect(APIKeyring.keys(inList: " a, b ,,c ") == ["a", "b", "c"])
        #expect(APIKeyring.keys(inFile: "# comment\nkey-1\n\n  key-2  \n#key-3\n") == ["key-1", "key-2"])
        let ring = APIKeyring(keys: [Self.first, Self.second, Self.first])
        #expect(ring.count == 2 && ring.isEnabled)
        #expect(ring.accepts(Self.first) && ring.accepts(Self.second))
        #expect(!ring.accepts(Self.first + "x") && !ring.accepts(String(Self.first.dropLast())) && !ring.accepts(""))
        #expect(!String(describing: ring).contains("Alpha"))
        ring.replace(with: [Self.second])
        #expect(!ring.accepts(Self.first) && ring.accepts(Self.second))
        #expect(!APIKeyring(keys: []).isEnabled)
    }

    @Test func routesNeedAKeyExceptProbesAndMetrics() async throws {
        try await ServerProcess.with(environment: ["API_KEYS": "\(Self.first),\(Self.second)"]) { server in
            let refused = try await server.get("/models/status")
            #expect(refused.status == 401 && refused.header("www-authenticate") == "Bearer")
            #expect((refused.json["detail"] as? String ?? "").contains("API key is required"))
            let wrong = try await server.request("GET", "/models/status", headers: ["Authorization": "Bearer nope"])
            #expect(wrong.status == 401 && (wrong.json["detail"] as? String ?? "").contains("not valid"))
            #expect(try await server.request("GET", "/models/status", headers: ["Authorization": "Bearer \(Self.first)"]).status == 200)
            #expect(try await server.request("GET", "/openapi.json", headers: ["X-API-Key": Self.second]).status == 200)
            #expect(try await server.post("/inference/dinov3", json: ["images": []]).status == 401)
            for open in ["/health/live", "/health/ready", "/metrics"] {
                #expect(try await server.get(open).status == 200, "\(open)")
            }
            let log = server.log
            #expect(!log.contains(Self.first) && !log.contains(Self.second))
        }
        try await ServerProcess.with(environment: ["API_KEYS": Self.first, "METRICS_REQUIRE_KEY": "true"]) { server in
            let without = try await server.get("/metrics")
            let with = try await server.request("GET", "/metrics", headers: ["X-API-Key": Self.first])
            #expect(without.status == 401 && with.status == 200)
        }
    }

    @Test func theKeyFileIsReloadedOnSIGHUP() async throws {
        let folder = try HubCacheBuilder.temporaryFolder("keys")
        let file = folder + "/keys.txt"
        try "# keys\n\(Self.first)\n".write(toFile: file, atomically: true, encoding: .utf8)
        try await ServerProcess.with(environment: ["API_KEYS_FILE": file]) { server in
            func status(_ key: String) async throws -> Int {
                try await server.request("GET", "/models/status", headers: ["X-API-Key": key]).status
            }
            let before = (try await status(Self.first), try await status(Self.second))
            #expect(before == (200, 401))
            try "\(Self.second)\n".write(toFile: file, atomically: true, encoding: .utf8)
            kill(server.process.processIdentifier, SIGHUP)
            let deadline = ContinuousClock.now + .seconds(10)
            while try await status(Self.second) != 200, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
            let after = (try await status(Self.second), try await status(Self.first))
            #expect(after == (200, 401))
            // A file left empty keeps the keys: reloading never opens the server.
            try "# nothing\n".write(toFile: file, atomically: true, encoding: .utf8)
            kill(server.process.processIdentifier, SIGHUP)
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await server.get("/models/status").status == 401)
            let log = server.log
            #expect(log.contains("API keys reloaded") && log.contains("holds no key"))
            #expect(!log.contains(Self.first) && !log.contains(Self.second))
        }
    }
}
