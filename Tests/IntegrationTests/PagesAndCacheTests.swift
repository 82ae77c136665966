import Foundation
import Testing
import TestSupport
import Hummingbird
import HummingbirdTesting
import HTTPTypes
@testable import VisionAPI

/// `/ui`, `/docs` and their files come from the server itself; `/models/cache` lists what the
/// cache holds; `/metrics` renders what swift-metrics recorded.
@Suite struct PagesAndCacheTests {
    /// In process: the pages' files (embedded in the binary) are open without a key, name no other
    /// host, carry the content security policy and their entity tags.
    @Test func pagesLoadNothingFromAnotherHost() async throws {
        try await InProcessAPI.test(APIConfiguration(version: "t", keyring: APIKeyring(keys: ["pages-key"]))) { client in
            for path in ["/ui", "/docs", "/static/ui.js", "/static/key.js", "/static/site.css", "/static/docs-lite.js"] {
                let reply = try await client.execute(uri: path, method: .get)
                let text = String(buffer: reply.body)
                #expect(reply.status == .ok, "\(path) is open without a key: its data calls carry the key")
                #expect(text.count > 100 && !text.contains("https://") && !text.contains("http://"), "\(path) names another host")
                #expect(reply.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("default-src 'self'") == true)
                let again = try await client.execute(uri: path, method: .get, headers: [.ifNoneMatch: reply.headers[.eTag] ?? ""])
                #expect(again.status == .notModified)
            }
            let ui = String(buffer: try await client.execute(uri: "/ui", method: .get).body)
            #expect(ui.contains("/static/ui.js") && ui.contains("id=\"model-type\""))
            let missing = try await client.execute(uri: "/static/nope.js", method: .get, headers: [HTTPField.Name("X-API-Key")!: "pages-key"])
            #expect(missing.status == .notFound && !missing.detail.isEmpty)
            #expect(try await client.execute(uri: "/models/cache", method: .get).status == .unauthorized)
        }
    }

    @Test func cacheListsRepositoriesWithTheTypesThatServeThem() async throws {
        try await ServerProcess.with(root: try rootWithModels()) { server in
            let reply = try await server.get("/models/cache")
            #expect(reply.status == 200)
            let body = try #require(try JSONSerialization.jsonObject(with: reply.body) as? [String: Any])
            let repos = try #require(body["repositories"] as? [[String: Any]])
            let byID = Dictionary(uniqueKeysWithValues: repos.map { ($0["model_id"] as? String ?? "", $0) })
            let expected: [String: String] = [
                "tests/sam3-tiny": "sam3", "tests/sam2.1-tiny": "sam2", "tests/sam3-tracker-tiny": "sam2", "tests/clip-tiny": "embeddings", "tests/siglip-tiny": "embeddings",
                "tests/siglip-tiny-exported": "embeddings", "tests/siglip2-tiny": "embeddings",
                "tests/siglip2-naflex-tiny": "embeddings", "tests/grounding-dino-tiny": "grounding_dino",
                "tests/depth-anything-v2-tiny": "depth_anything", "tests/depth-anything-3-tiny": "depth_anything",
                "tests/dinov3-vit-tiny": "dinov3", "tests/dinov3-convnext-tiny": "dinov3",
                "tests/vit-classifier-tiny": "image_classification", "tests/detr-tiny": "object_detection",
                "tests/grounding-dino-tiny-frozen": "grounding_dino", "tests/depth-anything-3-metric-tiny": "depth_anything",
                "tests/depth-anything-3-nested-tiny": "depth_anything",
            ]
            #expect(byID.count == expected.count)
            for (id, type) in expected {
                #expect(byID[id]?["model_types"] as? [String] == [type], "\(id)")
                #expect((byID[id]?["size_bytes"] as? Int ?? 0) > 10_000)
            }
            let revision = try #require((byID["tests/depth-anything-v2-tiny"]?["revisions"] as? [[String: Any]])?.first)
            #expect(revision["variants"] as? [String] == ["int8", "quantized"] && revision["refs"] as? [String] == ["main"])
            #expect(body["total_size_bytes"] as? Int == repos.reduce(0) { $0 + ($1["size_bytes"] as? Int ?? 0) })
        }
    }

    @Test func metricsCountRequestsByRouteAndModelLoads() async throws {
        try await ServerProcess.with(root: try rootWithModels()) { server in
            let image = try FixtureFiles.data("codecs/baseline_420.jpg").base64EncodedString()
            let body = try JSONSerialization.data(withJSONObject: ["images": [image], "model_id": "tests/detr-tiny"])
            for _ in 0..<2 { #expect(try await server.request("POST", "/inference/object-detection", body: body).status == 200) }
            _ = try await server.get("/jobs/nope")
            let text = try await server.get("/metrics").text
            #expect(text.contains(#"vma_http_requests_total{route="/inference/object-detection",method="POST",status="200"} 2"#))
            #expect(text.contains(#"vma_http_requests_total{route="/jobs/{job_id}",method="GET",status="404"} 1"#))
            #expect(text.contains(#"vma_model_loads_total{model_type="object_detection",outcome="loaded"} 1"#))
            #expect(text.contains(#"vma_inference_seconds_count{model_type="object_detection",model_id="tests/detr-tiny",graph="model.onnx"} 2"#))
            #expect(text.contains("# TYPE vma_http_request_duration_seconds histogram"))
        }
    }
}
