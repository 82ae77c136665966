import Foundation
import Hummingbird
import HummingbirdTesting
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
        }
    }

    /// In process: a wrong method is a 405 with `Allow`, an unknown path a 404, query parameters
    /// are validated like bodies, a body that is not JSON is a 400.
    @Test func methodsPathsQueriesAndBodies() async throws {
        try await InProcessAPI.test { client in
            let get = try await client.execute(uri: "/inference/dinov3", method: .get)
            #expect(get.status == .methodNotAllowed && get.headers[.allow] == "POST")
            let put = try await client.execute(uri: "/jobs/some-id", method: .put)
            #expect(put.status == .methodNotAllowed && put.headers[.allow] == "DELETE, GET")
            #expect(try await client.execute(uri: "/models/status", method: .delete).status == .methodNotAllowed)
            #expect(try await client.execute(uri: "/no/such/route", method: .get).status == .notFound)
            let limit = try await client.execute(uri: "/jobs?limit=abc", method: .get)
            #expect(limit.status == .badRequest && limit.detail.contains("limit must be an integer"))
            #expect(try await client.execute(uri: "/jobs?offset=1.5", method: .get).status == .badRequest)
            #expect(try await client.execute(uri: "/jobs?limit=10", method: .get).status == .ok)
            let notJSON = try await client.execute(uri: "/inference/sam3", method: .post, body: ByteBuffer(string: "{images"))
            #expect(notJSON.status == .badRequest && notJSON.detail == "request body is not valid JSON")
            let wrongShape = try await client.execute(uri: "/inference/sam3", method: .post, body: ByteBuffer(string: #"{"images": 3}"#))
            #expect(wrongShape.status == .unprocessableContent && wrongShape.detail.contains("images"))
            let bounds = try await client.execute(uri: "/inference/sam3", method: .post,
                                                  body: ByteBuffer(string: #"{"images": ["aGk="], "prompts": ["cat"], "threshold": 2}"#))
            #expect(bounds.status == .badRequest && bounds.detail == "threshold must be between 0 and 1")
        }
    }
}
