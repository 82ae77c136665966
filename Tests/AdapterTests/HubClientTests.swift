import Crypto
import Foundation
import TestSupport
import Testing
import VisionCore
@testable import HubCache
@testable import HubClient

/// The hub client against a local mock hub and CDN.
@Suite(.serialized) struct HubClientTests {
    static let token = "hf_mockHubToken_123456"

    func withHub<T>(token: String? = HubClientTests.token, offline: Bool = false, cache: String? = nil,
                    _ body: (MockHub, HubClient, String) async throws -> T) async throws -> T {
        let hub = MockHub()
        try await hub.start()
        let folder = try cache ?? HubCacheBuilder.temporaryFolder("hf-hub")
        // A generous read timeout: on a 2-core machine running the inference suites alongside, the
        // mock hub's answers were once slower than 10 s three times in a row.
        let client = HubClient(configuration: HubConfiguration(endpoint: hub.endpoint, token: token, offline: offline,
                                                               cacheFolder: folder, maxAttempts: 3, readTimeoutSeconds: 30))
        do {
            let result = try await body(hub, client, folder)
            try await client.shutdown()
            hub.stop()
            return result
        } catch {
            try? await client.shutdown()
            hub.stop()
            throw error
        }
    }

    @Test func downloadsIntoHuggingFaceLayoutAndResumesAfterACut() async throws {
        try await withHub { hub, client, cache in
            hub.state.withLock { $0.cutNextCDNTransfer = true }
            let reference = try ModelReference(parsing: "org/model")
            let snapshot = try await HubModelRepository(client: client).snapshot(for: reference, exporter: .named("dinov3"))
            let layout = HubCacheLayout(cacheFolder: cache, repoID: "org/model")
            #expect(snapshot.commit == hub.commit)
            #expect(snapshot.folder == layout.snapshotFolder(hub.commit))
            // refs/main holds the commit with no trailing newline.
            #expect(try String(contentsOfFile: layout.ref("main"), encoding: .utf8) == hub.commit)
            // Exactly the files a model needs: the base graph and the JSON companions.
            #expect(layout.snapshotFiles(hub.commit) == ["config.json", "onnx/model.onnx", "preprocessor_config.json"])
            for path in ["config.json", "onnx/model.onnx", "preprocessor_config.json"] {
                let file = try #require(hub.file(path))
                let link = layout.snapshotFile(hub.commit, path)
                let target = try FileManager.default.destinationOfSymbolicLink(atPath: link)
                #expect(target == String(repeating: "../", count: path.split(separator: "/").count + 1) + "blobs/" + file.etag)
                #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: layout.blob(file.etag)))) == file.bytes, "\(path) bytes")
            }
            let ranges = hub.state.withLock { $0.cdnRanges }
            // The second request resumed where the cut transfer stopped.
            #expect(ranges.count == 2 && ranges[0] == "", "\(ranges)")
            let resumedAt = ranges.last.flatMap { Int($0.dropFirst(6).split(separator: "-").first ?? "") } ?? 0
            #expect(resumedAt > 0 && resumedAt < 300_000, "resumed with Range: \(ranges)")
            #expect(!FileManager.default.fileExists(atPath: layout.incomplete(try #require(hub.file("onnx/model.onnx")).etag)))
        }
    }

    @Test func tokenGoesToTheHubButNeverToTheCDN() async throws {
        try await withHub { hub, client, _ in
            _ = try await HubModelRepository(client: client).snapshot(for: ModelReference(parsing: "org/model"), exporter: .named("dinov3"))
            let (hubAuth, cdnAuth) = hub.state.withLock { ($0.hubAuthorizations, $0.cdnAuthorizations) }
            #expect(!hubAuth.isEmpty && hubAuth.allSatisfy { $0 == "Bearer \(Self.token)" })
            #expect(!cdnAuth.isEmpty && cdnAuth.allSatisfy { $0.isEmpty })
        }
    }

    @Test func variantSelectsItsGraph() async throws {
        try await withHub { hub, client, cache in
            _ = try await HubModelRepository(client: client).snapshot(for: ModelReference(parsing: "org/model", variant: "fp16"), exporter: .named("dinov3"))
            #expect(HubCacheLayout(cacheFolder: cache, repoID: "org/model").snapshotFiles(hub.commit)
                == ["config.json", "onnx/model_fp16.onnx", "preprocessor_config.json"])
        }
    }

    @Test func gatedPrivateAndMissingAreClearErrors() async throws {
        try await withHub { _, client, cache in
            let repo = HubModelRepository(client: client)
            let gated = await #expect(throws: VisionError.self) { try await repo.snapshot(for: ModelReference(parsing: "org/gated"), exporter: .named("dinov3")) }
            #expect(gated?.category == .forbidden)
            #expect(gated?.message.contains("gated") == true && gated?.message.contains("HF_TOKEN") == true)
            let priv = await #expect(throws: VisionError.self) { try await repo.snapshot(for: ModelReference(parsing: "org/private"), exporter: .named("dinov3")) }
            #expect(priv?.category == .notFound)
            #expect(priv?.message.contains("private") == true)
            let missing = await #expect(throws: VisionError.self) {
                try await client.ensureFile(repoID: "org/model", revision: "main", path: "nothing.json")
            }
            #expect(missing?.category == .notFound)
            let marker = HubCacheLayout(cacheFolder: cache, repoID: "org/model").noExist(MockHub().commit, "nothing.json")
            #expect(FileManager.default.fileExists(atPath: marker), "the .no_exist marker is written")
        }
    }

    @Test func corruptDownloadNeverBecomesABlob() async throws {
        try await withHub { hub, client, cache in
            hub.state.withLock { $0.corruptCDN = true }
            let error = await #expect(throws: VisionError.self) {
                try await client.ensureFile(repoID: "org/model", revision: "main", path: "onnx/model.onnx")
            }
            #expect(error?.message.contains("corrupt") == true)
            let etag = try #require(hub.file("onnx/model.onnx")).etag
            let layout = HubCacheLayout(cacheFolder: cache, repoID: "org/model")
            #expect(!FileManager.default.fileExists(atPath: layout.blob(etag)))
            #expect(!FileManager.default.fileExists(atPath: layout.snapshotFile(hub.commit, "onnx/model.onnx")))
        }
    }

    @Test func offlineAndPinnedCommitsUseTheCacheOnly() async throws {
        let cache = try HubCacheBuilder.temporaryFolder("hf-hub")
        let commit = try await withHub(cache: cache) { hub, client, _ in
            _ = try await HubModelRepository(client: client).snapshot(for: ModelReference(parsing: "org/model"), exporter: .named("dinov3"))
            return hub.commit
        }
        // The hub is gone now. Offline: served from the cache; a model that is not there is a clear error.
        let offline = HubClient(configuration: HubConfiguration(endpoint: "http://127.0.0.1:9", offline: true, cacheFolder: cache))
        let snapshot = try await HubModelRepository(client: offline).snapshot(for: ModelReference(parsing: "org/model"), exporter: .named("dinov3"))
        #expect(snapshot.commit == commit)
        let error = await #expect(throws: VisionError.self) {
            try await HubModelRepository(client: offline).snapshot(for: ModelReference(parsing: "org/other"), exporter: .named("dinov3"))
        }
        #expect(error?.category == .notFound)
        try await offline.shutdown()
        // Online but unreachable, with a pinned commit: no network needed.
        let online = HubClient(configuration: HubConfiguration(endpoint: "http://127.0.0.1:9", cacheFolder: cache,
                                                               readTimeoutSeconds: 2))
        let pinned = try await HubModelRepository(client: online).snapshot(for: ModelReference(parsing: "org/model@\(commit)"), exporter: .named("dinov3"))
        #expect(pinned.commit == commit)
        let unreachable = await #expect(throws: VisionError.self) {
            try await online.ensureFile(repoID: "org/model", revision: "main", path: "README.md")
        }
        #expect(unreachable?.category == .notReady)
        try await online.shutdown()
    }

    @Test func concurrentDownloadsOfOneFileEndWithOneBlob() async throws {
        try await withHub { hub, client, cache in
            let second = HubClient(configuration: client.configuration)
            async let a = client.ensureFile(repoID: "org/model", revision: "main", path: "onnx/model.onnx")
            async let b = second.ensureFile(repoID: "org/model", revision: "main", path: "onnx/model.onnx")
            let (pa, pb) = try await (a, b)
            try await second.shutdown()
            #expect(pa == pb)
            let blobs = try FileManager.default.contentsOfDirectory(atPath: HubCacheLayout(cacheFolder: cache, repoID: "org/model").repoFolder + "/blobs")
            #expect(blobs == [try #require(hub.file("onnx/model.onnx")).etag])
        }
    }

    @Test func pytorchOnlyRepositoryIsServedFromTheExportStore() async throws {
        let hub = MockHub(files: [
            .init(path: "config.json", bytes: Array(#"{"model_type": "dinov3_vit"}"#.utf8), lfs: false),
            .init(path: "model.safetensors", bytes: Array(repeating: 1, count: 1000), lfs: true),
        ])
        try await hub.start()
        defer { hub.stop() }
        let cache = try HubCacheBuilder.temporaryFolder("hf-hub")
        let store = try HubCacheBuilder.temporaryFolder("onnx-store")
        let client = HubClient(configuration: HubConfiguration(endpoint: hub.endpoint, cacheFolder: cache))
        let repository = HubModelRepository(client: client, exportStore: store)
        let error = await #expect(throws: VisionError.self) {
            try await repository.snapshot(for: ModelReference(parsing: "org/model"), exporter: .named("dinov3"))
        }
        #expect(error?.category == .notFound)
        #expect(error?.message.contains("python3 tools/export/export.py dinov3 --from-hub org/model") == true, "\(error?.message ?? "")")
        // The exporter's output for that commit makes it servable.
        let exported = store + "/org--model/" + hub.commit
        try FileManager.default.createDirectory(atPath: exported + "/onnx", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: FixtureFiles.root.appendingPathComponent("models/dinov3-vit-tiny/onnx/model.onnx").path,
                                         toPath: exported + "/onnx/model.onnx")
        let snapshot = try await repository.snapshot(for: ModelReference(parsing: "org/model"), exporter: .named("dinov3"))
        #expect(snapshot.folder == exported)
        try await client.shutdown()
    }

    @Test func selectsModelFiles() {
        let files = ["README.md", "config.json", "tokenizer.json", "vocab.txt", "onnx/model.onnx", "onnx/model.onnx_data",
                     "onnx/model_fp16.onnx", "onnx/model_quantized.onnx", "onnx/vision_encoder.onnx",
                     "onnx/vision_encoder_fp16.onnx", "pytorch_model.bin", "sub/config.json"]
        #expect(HubModelRepository.selectFiles(files, variant: nil)
            == ["config.json", "onnx/model.onnx", "onnx/model.onnx_data", "onnx/vision_encoder.onnx", "tokenizer.json", "vocab.txt"])
        #expect(HubModelRepository.selectFiles(files, variant: "fp16")
            == ["config.json", "onnx/model_fp16.onnx", "onnx/vision_encoder_fp16.onnx", "tokenizer.json", "vocab.txt"])
    }

    @Test func tokenChainAndOfflineFlags() throws {
        let home = try HubCacheBuilder.temporaryFolder("hf-home")
        try "hf_fromTokenFile\n".write(toFile: home + "/token", atomically: true, encoding: .utf8)
        #expect(HubConfiguration.from(environment: [:], hfHome: home, cacheFolder: "").token == "hf_fromTokenFile")
        #expect(HubConfiguration.from(environment: ["HUGGING_FACE_HUB_TOKEN": "b"], hfHome: home, cacheFolder: "").token == "b")
        #expect(HubConfiguration.from(environment: ["HF_TOKEN": "a", "HUGGING_FACE_HUB_TOKEN": "b"], hfHome: home, cacheFolder: "").token == "a")
        #expect(HubConfiguration.from(environment: ["HF_HUB_OFFLINE": "yes"], hfHome: home, cacheFolder: "").offline)
        #expect(HubConfiguration.from(environment: ["TRANSFORMERS_OFFLINE": "1"], hfHome: home, cacheFolder: "").offline)
        #expect(!HubConfiguration.from(environment: ["HF_HUB_OFFLINE": "0"], hfHome: home, cacheFolder: "").offline)
        #expect(HubConfiguration.from(environment: ["HF_ENDPOINT": "http://x/"], hfHome: home, cacheFolder: "").endpoint == "http://x")
        #expect(HubClient.normalizeETag("W/\"abc\"") == "abc")
    }
}
