import Foundation
import TestSupport
import Testing

/// `POST /models/load` downloads from a hub (a local mock with a CDN host) into the cache; the
/// server restarted offline serves the model from that cache.
@Suite struct HubDownloadTests {
    /// ALLOWED_MODELS: a model outside it is a 403 naming the setting and the hub is never asked;
    /// a missing model asked for in a burst reaches the hub once (its failure is remembered).
    @Test func modelPolicyAndFailureBackoffSpareTheHub() async throws {
        let hub = try MockHub(folder: FixtureFiles.root.appendingPathComponent("models/dinov3-vit-tiny"))
        try await hub.start()
        defer { hub.stop() }
        try await ServerProcess.with(environment: ["HF_ENDPOINT": hub.endpoint, "HF_HUB_OFFLINE": "0",
                                                   "ALLOWED_MODELS": "org/model,team/*"]) { server in
            let refused = try await server.post("/models/load", json: ["model_type": "dinov3", "model_id": "evil/model"])
            #expect(refused.status == 403 && (refused.json["detail"] as? String ?? "").contains("ALLOWED_MODELS"))
            #expect(hub.state.withLock { $0.requests } == 0, "the hub was asked about a refused model")
            // Five at once (one after another, a loaded 2-core machine once spaced them past the
            // 1 s and 2 s backoff windows).
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<5 {
                    group.addTask {
                        try await server.post("/models/load", json: ["model_type": "dinov3", "model_id": "team/absent"]).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == [404, 404, 404, 404, 404])
            let asked = hub.state.withLock { $0.requests }
            #expect(asked >= 1 && asked <= 2, "\(asked) hub requests for five loads of one missing model")
            let load = try await server.post("/models/load", json: ["model_type": "dinov3", "model_id": "org/model"])
            #expect(load.status == 200, "\(load.text.prefix(200))")
        }
    }

    @Test func loadDownloadsThenOfflineRestartServesFromCache() async throws {
        let hub = try MockHub(folder: FixtureFiles.root.appendingPathComponent("models/dinov3-vit-tiny"))
        try await hub.start()
        defer { hub.stop() }
        let root = try HubCacheBuilder.temporaryFolder("root")
        let token = "hf_downloadTestToken_777"
        let png = try FixtureFiles.data("preprocessing/wide_90x151.png").base64EncodedString()
        let firstLog = try await ServerProcess.with(root: root, environment: ["HF_ENDPOINT": hub.endpoint, "HF_TOKEN": token,
                                                                                         "HF_HUB_OFFLINE": "0"]) { server in
            let load = try await server.post("/models/load", json: ["model_type": "dinov3", "model_id": "org/model"])
            #expect(load.status == 200, "\(load.text.prefix(300))")
            let infer = try await server.post("/inference/dinov3", json: ["images": [png], "model_id": "org/model"])
            #expect(infer.status == 200)
            let missing = try await server.post("/models/load", json: ["model_type": "dinov3", "model_id": "org/absent"])
            #expect(missing.status == 404 && (missing.json["detail"] as? String ?? "").contains("org/absent"))
            let gated = try await server.post("/models/load", json: ["model_type": "dinov3", "model_id": "org/gated"])
            #expect(gated.status == 403 && (gated.json["detail"] as? String ?? "").contains("gated"))
            #expect(!missing.text.contains(token) && !gated.text.contains(token))
            return server.log
        }
        #expect(!firstLog.contains(token))
        #expect(firstLog.contains("downloaded"))
        let cdnAuth = hub.state.withLock { $0.cdnAuthorizations }
        #expect(!cdnAuth.isEmpty && cdnAuth.allSatisfy(\.isEmpty), "the token never reaches the CDN")
        // The blobs are the hub's bytes.
        let repo = root + "/content/hf_cache/hub/models--org--model"
        for file in hub.files where ["onnx/model.onnx", "config.json", "preprocessor_config.json"].contains(file.path) {
            #expect(FileManager.default.contents(atPath: repo + "/blobs/" + file.etag) == Data(file.bytes), "\(file.path)")
        }
        hub.stop()
        let requestsBefore = hub.state.withLock { $0.requests }
        try await ServerProcess.with(root: root, environment: ["HF_HUB_OFFLINE": "1", "HF_ENDPOINT": hub.endpoint]) { server in
            let infer = try await server.post("/inference/dinov3", json: ["images": [png], "model_id": "org/model"])
            #expect(infer.status == 200, "\(infer.text.prefix(300))")
            let absent = try await server.post("/models/load", json: ["model_type": "dinov3", "model_id": "org/other"])
            #expect(absent.status == 404 && (absent.json["detail"] as? String ?? "").contains("Hugging Face cache"))
        }
        #expect(hub.state.withLock { $0.requests } == requestsBefore, "offline: no request reached the hub")
    }
}

/// `vision-models-api download` against the mock hub.
@Suite struct DownloadCommandTests {
    @Test func downloadCommandFillsTheCacheAndPrintsTheSnapshot() async throws {
        let hub = try MockHub(folder: FixtureFiles.root.appendingPathComponent("models/dinov3-convnext-tiny"))
        try await hub.start()
        defer { hub.stop() }
        let root = try HubCacheBuilder.temporaryFolder("root")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ServerProcess.executable)
        process.arguments = ["download", "org/model", "--revision", "main"]
        process.environment = ["PATH": "/usr/bin:/bin", "HF_ROOT_FOLDER": root, "HF_ENDPOINT": hub.endpoint,
                               "HF_TOKEN": "hf_cliSecret_42"]
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
        let snapshot = root + "/content/hf_cache/hub/models--org--model/snapshots/" + hub.commit
        #expect(output.contains(snapshot))
        #expect(FileManager.default.fileExists(atPath: snapshot + "/onnx/model.onnx"))
        #expect(!output.contains("hf_cliSecret_42"))
    }
}
