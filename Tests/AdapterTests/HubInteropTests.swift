import Foundation
import TestSupport
import Testing
import VisionCore
@testable import HubCache
@testable import HubClient

/// Interoperability with the real huggingface_hub (PyPI, installed by scripts/setup.sh into
/// .deps/pytools): each reads the cache the other wrote.
@Suite(.serialized) struct HubInteropTests {
    static let python = FixtureFiles.root.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".deps/pytools/bin/python").path

    /// Runs a Python snippet; returns stdout.
    static func python(_ code: String, environment: [String: String] = [:]) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw HubInteropError("\(python) is missing: run scripts/setup.sh")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", code]
        var env = ["PATH": "/usr/bin:/bin", "HF_HUB_DISABLE_TELEMETRY": "1", "HF_HUB_DISABLE_XET": "1"]
        env.merge(environment) { _, new in new }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw HubInteropError("python failed: \(String(decoding: errors, as: UTF8.self).suffix(1500))")
        }
        return String(decoding: output, as: UTF8.self)
    }

    struct HubInteropError: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    @Test func huggingfaceHubReadsTheCacheThisServerWrote() async throws {
        let hub = MockHub()
        try await hub.start()
        defer { hub.stop() }
        let cache = try HubCacheBuilder.temporaryFolder("interop-a")
        let client = HubClient(configuration: HubConfiguration(endpoint: hub.endpoint, cacheFolder: cache))
        _ = try await HubModelRepository(client: client).snapshot(for: ModelReference(parsing: "org/model"), exporter: .named("dinov3"))
        try await client.shutdown()
        hub.stop()
        for path in ["onnx/model.onnx", "config.json", "preprocessor_config.json"] {
            let printed = try Self.python("""
                from huggingface_hub import hf_hub_download
                print(hf_hub_download("org/model", "\(path)", cache_dir="\(cache)", local_files_only=True))
                """, environment: ["HF_HUB_OFFLINE": "1"])
            let found = printed.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(found.hasPrefix(cache + "/models--org--model/snapshots/\(hub.commit)/"), "\(found)")
            #expect(FileManager.default.contents(atPath: found) == Data(try #require(hub.file(path)).bytes), "\(path) bytes")
        }
    }

    @Test func thisServerReadsTheCacheHuggingfaceHubWrote() async throws {
        let hub = MockHub()
        try await hub.start()
        defer { hub.stop() }
        let cache = try HubCacheBuilder.temporaryFolder("interop-b")
        _ = try Self.python("""
            from huggingface_hub import hf_hub_download
            for f in ["onnx/model.onnx", "config.json", "preprocessor_config.json"]:
                hf_hub_download("org/model", f, cache_dir="\(cache)")
            """, environment: ["HF_ENDPOINT": hub.endpoint])
        hub.stop()
        let offline = HubClient(configuration: HubConfiguration(endpoint: hub.endpoint, offline: true, cacheFolder: cache))
        let snapshot = try await HubModelRepository(client: offline).snapshot(for: ModelReference(parsing: "org/model"), exporter: .named("dinov3"))
        try await offline.shutdown()
        #expect(snapshot.commit == hub.commit)
        let graph = try #require(hub.file("onnx/model.onnx"))
        #expect(FileManager.default.contents(atPath: snapshot.path("onnx/model.onnx")) == Data(graph.bytes))
        // Same layout: the blob is named by the same etag this server would use.
        #expect(FileManager.default.fileExists(atPath: HubCacheLayout(cacheFolder: cache, repoID: "org/model").blob(graph.etag)))
    }
}
