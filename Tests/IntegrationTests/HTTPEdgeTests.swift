import Foundation
import Testing

/// What a production HTTP server does at its edges: a declared body over the limit is refused
/// before it is read, a stalled body times out, a wrong method is a 405 with `Allow`, query
/// parameters are validated like bodies.
@Suite struct HTTPEdgeTests {
    /// curl with raw headers (the test's HTTP client always declares the true length).
    static func curl(_ arguments: [String]) throws -> (status: Int, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl", "-s", "-m", "10", "-w", "\n%{http_code}"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    @Test func bodiesMethodsAndQueries() async throws {
        try await ServerProcess.with(environment: ["MAX_BODY_BYTES": "100000", "BODY_TIMEOUT_SECONDS": "1"]) { server in
            let base = "http://127.0.0.1:\(server.port)"
            // Declared over the limit: 413 at once, before any of it is sent.
            let start = ContinuousClock.now
            let big = try Self.curl(["-X", "POST", "-H", "Content-Type: application/json", "-H", "Content-Length: 70000000",
                                     "-H", "Expect:", "--data-binary", "{}", base + "/inference/dinov3"])
            #expect(big.status == 413 && big.output.contains("MAX_BODY_BYTES"), "\(big)")
            #expect(ContinuousClock.now - start < .seconds(5))
            // A body that stops arriving: 408 after BODY_TIMEOUT_SECONDS.
            let stalled = try Self.curl(["-X", "POST", "-H", "Content-Type: application/json", "-H", "Content-Length: 5000",
                                         "-H", "Expect:", "--data-binary", "{\"images\"", base + "/inference/dinov3"])
            #expect(stalled.status == 408 && stalled.output.contains("BODY_TIMEOUT_SECONDS"), "\(stalled)")
            // Wrong methods on known paths.
            let get = try await server.get("/inference/dinov3")
            #expect(get.status == 405 && get.header("allow") == "POST", "\(get.status) \(get.text)")
            let put = try await server.request("PUT", "/jobs/some-id")
            #expect(put.status == 405 && put.header("allow") == "DELETE, GET", "\(put.status) \(put.text) \(put.headers)")
            #expect(try await server.request("DELETE", "/models/status").status == 405)
            #expect(try await server.get("/no/such/route").status == 404)
            // Query parameters like bodies.
            let limit = try await server.get("/jobs?limit=abc")
            #expect(limit.status == 400 && (limit.json["detail"] as? String ?? "").contains("limit must be an integer"))
            #expect(try await server.get("/jobs?offset=1.5").status == 400)
            #expect(try await server.get("/jobs?limit=10").status == 200)
            #expect(try await server.get("/health").status == 200)
        }
    }
}
