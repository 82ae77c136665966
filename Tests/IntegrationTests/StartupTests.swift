import Foundation
import TestSupport
import Testing

/// Starting the real binary: HF environment, masked token, .env handling, graceful stop.
@Suite struct StartupTests {
    static let token = "hf_integrationSecretToken12345"

    @Test func configuresHFEnvironmentAndNeverShowsTheToken() async throws {
        let root = try HubCacheBuilder.temporaryFolder("fresh")
        let server = try await ServerProcess(root: root, environment: ["HF_TOKEN": Self.token])
        var bodies = ""
        for path in ["/", "/health", "/models/status", "/openapi.json", "/nope"] {
            bodies += try await server.get(path).text
        }
        bodies += try await server.post("/inference/dinov3", json: ["images": ["!!"]]).text
        let health = try await server.get("/health").json
        let status = try await server.stop()
        let log = server.log

        #expect(status == 0, "graceful exit")
        for folder in ["hub", "transformers", "datasets"] {
            var isDir: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: "\(root)/content/hf_cache/\(folder)", isDirectory: &isDir) && isDir.boolValue,
                    "\(folder) folder created")
        }
        #expect(log.contains("Configuring HuggingFace environment: root=\(root), token=***"))
        #expect(!log.contains(Self.token), "token in the log")
        #expect(!bodies.contains(Self.token), "token in a response")
        #expect(log.contains("engine stopped"))
        #expect(health["status"] as? String == "healthy")
        #expect(health["loaded_models"] as? [String] == [])
        #expect(health["gpu_available"] as? Bool == false)
        #expect((health["available_memory_gb"] as? Double ?? 0) > 0)
    }

    @Test func tokenIsNoneWhenUnset() async throws {
        let log = try await ServerProcess.with { server in
            _ = try await server.get("/health")
            return server.log
        }
        #expect(log.contains("token=None"))
    }

    @Test func dotEnvIsReadAndTheEnvironmentWins() async throws {
        let work = try HubCacheBuilder.temporaryFolder("work")
        let fromFile = try HubCacheBuilder.temporaryFolder("from-file")
        let fromEnv = try HubCacheBuilder.temporaryFolder("from-env")
        try "# settings\nHF_ROOT_FOLDER=\(fromFile)\nexport HF_TOKEN=\"\(Self.token)\"\n".write(
            toFile: work + "/.env", atomically: true, encoding: .utf8)
        let fileLog = try await ServerProcess.with(root: work, workingDirectory: work, passRoot: false) { $0.log }
        #expect(fileLog.contains("root=\(fromFile), token=***"))
        #expect(FileManager.default.fileExists(atPath: fromFile + "/content/hf_cache/hub"))
        #expect(!fileLog.contains(Self.token))
        let envLog = try await ServerProcess.with(root: fromEnv, workingDirectory: work) { $0.log }
        #expect(envLog.contains("root=\(fromEnv), token=***"))
    }

    /// A server setting and a family's own setting: the process stops at startup and says which
    /// (a job database that cannot be opened too: it used to crash the process, its hub client
    /// dropped without a shutdown).
    @Test(arguments: [("MAX_IMAGE_PIXELS", "lots"), ("SAM3_EMBEDDING_CACHE_MB", "-1"), ("SAM2_EMBEDDING_CACHE_MB", "x"),
                      ("DEFAULT_MODELS", "dinov3"),
                      ("DEFAULT_MODELS", "segformer:org/name"), ("DEFAULT_MODELS", "dinov3:not a hub id"),
                      ("PRELOAD_MODELS", "segformer"), ("JOBS_DATABASE_PATH", "/proc/none/jobs.sqlite")])
    func invalidSettingFailsFastWithItsName(name: String, value: String) async throws {
        let root = try HubCacheBuilder.temporaryFolder("bad")
        let error = await #expect(throws: ServerError.self) {
            try await ServerProcess(root: root, environment: [name: value])
        }
        let said = error?.description ?? ""
        #expect(said.contains(name) && said.contains("'\(value)'"), "\(said.suffix(400))")
    }
}

/// `PRELOAD_MODELS`, `/health/live` and `/health/ready`.
@Suite struct ReadinessTests {
    static func waitForReadiness(_ server: ServerProcess) async throws -> ServerProcess.Reply {
        var reply = try await server.get("/health/ready")
        for _ in 0..<200 where reply.status == 503 && (reply.json["detail"] as? String ?? "").contains("not ready yet") {
            try await Task.sleep(for: .milliseconds(25))
            reply = try await server.get("/health/ready")
        }
        return reply
    }

    @Test func preloadedModelIsReadyBeforeReadiness() async throws {
        try await ServerProcess.with(root: try rootWithModels(), environment: ["PRELOAD_MODELS": "dinov3:tests/dinov3-vit-tiny"]) { server in
            #expect(try await server.get("/health/live").json["status"] as? String == "alive")
            let ready = try await Self.waitForReadiness(server)
            #expect(ready.status == 200 && ready.json["status"] as? String == "ready")
            #expect(try await server.get("/health").json["loaded_models"] as? [String] == ["dinov3"])
        }
    }

    /// `DEFAULT_MODELS`: the route serves the operator's model when a request names none; a bare
    /// `PRELOAD_MODELS` entry loads it; status and the cache listing say so.
    @Test func operatorChosenDefaultIsServedPreloadedAndListed() async throws {
        let environment = ["DEFAULT_MODELS": "dinov3:TESTS/dinov3-vit-tiny, depth_anything:tests/depth-anything-v2-tiny@main",
                           "PRELOAD_MODELS": "dinov3"]
        try await ServerProcess.with(root: try rootWithModels(), environment: environment) { server in
            let ready = try await Self.waitForReadiness(server)
            #expect(ready.status == 200, "\(ready.text.prefix(300))")
            let status = try await server.get("/models/status").json["models"] as? [String: Any]
            let dinov3 = status?["dinov3"] as? [String: Any], depth = status?["depth_anything"] as? [String: Any]
            #expect(dinov3?["loaded"] as? Bool == true && (dinov3?["model_id"] as? String)?.lowercased() == "tests/dinov3-vit-tiny")
            #expect(depth?["loaded"] as? Bool == false && depth?["model_id"] as? String == "tests/depth-anything-v2-tiny")
            let png = try FixtureFiles.data("preprocessing/wide_90x151.png").base64EncodedString()
            let features = try await server.post("/inference/dinov3", json: ["images": [png]])
            #expect(features.status == 200, "\(features.text.prefix(300))")
            let depthAnswer = try await server.post("/inference/depth-anything", json: ["images": [png]])
            #expect(depthAnswer.status == 200, "\(depthAnswer.text.prefix(300))")
            let cache = try await server.get("/models/cache").json["repositories"] as? [[String: Any]] ?? []
            let defaults = Dictionary(cache.map { ($0["model_id"] as? String ?? "", $0["default_for"] as? [String] ?? []) },
                                      uniquingKeysWith: { a, _ in a })
            #expect(defaults["tests/dinov3-vit-tiny"] == ["dinov3"])
            #expect(defaults["tests/depth-anything-v2-tiny"] == ["depth_anything"])
            #expect(defaults["tests/dinov3-convnext-tiny"] == [])
            #expect(server.log.contains("default models"))
        }
    }

    @Test func failedPreloadIsNotReady() async throws {
        try await ServerProcess.with(environment: ["PRELOAD_MODELS": "dinov3:tests/not-there"]) { server in
            let reply = try await Self.waitForReadiness(server)
            #expect(reply.status == 503)
            #expect((reply.json["detail"] as? String ?? "").contains("tests/not-there"))
            #expect(try await server.get("/health/live").status == 200)
        }
    }
}
