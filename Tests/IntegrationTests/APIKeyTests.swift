import Foundation
import TestSupport
import Testing
@testable import VisionAPI
import Hummingbird
import HummingbirdTesting
import HTTPTypes

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

    /// In process (the router the server builds); that no key reaches the log is checked on a
    /// real server by the SIGHUP test below.
    @Test func routesNeedAKeyExceptProbesAndMetrics() async throws {
        let (first, second) = (Self.first, Self.second)
        try await InProcessAPI.test(APIConfiguration(version: "t", keyring: APIKeyring(keys: [first, second]))) { client in
            let refused = try await client.execute(uri: "/models/status", method: .get)
            #expect(refused.status == .unauthorized && refused.headers[.wwwAuthenticate] == "Bearer")
            #expect(refused.detail.contains("API key is required"))
            let wrong = try await client.execute(uri: "/models/status", method: .get, headers: [.authorization: "Bearer nope"])
            #expect(wrong.status == .unauthorized && wrong.detail.contains("not valid"))
            #expect(try await client.execute(uri: "/models/status", method: .get, headers: [.authorization: "Bearer \(first)"]).status == .ok)
            #expect(try await client.execute(uri: "/openapi.json", method: .get, headers: [HTTPField.Name("X-API-Key")!: second]).status == .ok)
            #expect(try await client.execute(uri: "/inference/dinov3", method: .post, body: ByteBuffer(string: #"{"images": []}"#)).status
                    == .unauthorized)
            for open in ["/health/live", "/health/ready", "/metrics"] {
                #expect(try await client.execute(uri: open, method: .get).status == .ok, "\(open)")
            }
        }
        try await InProcessAPI.test(APIConfiguration(version: "t", keyring: APIKeyring(keys: [first]), metricsRequireKey: true)) { client in
            let without = try await client.execute(uri: "/metrics", method: .get)
            let with = try await client.execute(uri: "/metrics", method: .get, headers: [HTTPField.Name("X-API-Key")!: first])
            #expect(without.status == .unauthorized && with.status == .ok)
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
