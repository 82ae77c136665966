import JobQueue
import Foundation
import Hummingbird
import Logging
import TestSupport
import Testing
import VisionCore
@testable import VisionAPI
import VisionApp
@testable import VisionEngine

struct UnusedRuntime: InferenceRuntime {
    let version = "test"
    let availableDevices: [ComputeDevice] = [.cpu]
    func makeSession(modelPath: String, options: SessionOptions) throws -> any InferenceSession {
        throw VisionError.internalError("unused")
    }
}

struct EmptyRepository: ModelRepository {
    func snapshot(for reference: ModelReference, exporter: ExportHint) throws -> ModelSnapshot { throw VisionError.modelNotFound("none") }
}

struct NoImages: ImageDecoding, ImageFetching, PNGEncoding, Deflating {
    func deflate(_ bytes: [UInt8]) throws -> [UInt8] { [] }
    func decode(_ bytes: [UInt8], limits: ImageLimits) throws -> RGBImage { throw VisionError.unsupportedImage("none") }
    func grey8(_ pixels: [UInt8], width: Int, height: Int) throws -> [UInt8] { [] }
    func grey16(_ pixels: [UInt16], width: Int, height: Int) throws -> [UInt8] { [] }
    func fetch(_ url: String) async throws -> [UInt8] { throw VisionError.forbiddenURL("none") }
}

@Suite struct OpenAPITests {
    /// Every route the router serves is in the OpenAPI document, and every documented operation
    /// is a route.
    @Test func documentMatchesTheRouter() throws {
        let executor = BlockingExecutor(name: "t", threads: 1, queueLimit: 1)
        defer { executor.shutdown() }
        // Every registered family: a new one is checked without editing this test.
        let api = try InProcessAPI(executor: executor)
        let families = api.families
        let router = makeRouter(configuration: APIConfiguration(version: "t"), dependencies: api.dependencies)
        // Router paths write parameters as ":name", OpenAPI as "{name}".
        // The one submit route is documented once per model type, each with that type's body.
        let routes = Set(router.routes.flatMap { route -> [String] in
            let path = route.path.description.split(separator: "/", omittingEmptySubsequences: false)
                .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            if path == "/jobs/submit/{model_type}" { return families.types.map { "post /jobs/submit/\($0.rawValue)" } }
            return ["\(route.method.rawValue.lowercased()) \(path)"]
        })
        let text = OpenAPIDocument(version: "t", families: families, jobs: true).json
        #expect(!String(decoding: text, as: UTF8.self).contains("\\/"), "a '/' is escaped")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(text)) as? [String: Any])
        let paths = document["paths"] as! [String: [String: Any]]
        let documented = Set(paths.flatMap { path, ops in ops.keys.map { "\($0) \(path)" } })
        #expect(routes.count >= 17)
        #expect(routes == documented, "undocumented: \(routes.subtracting(documented)); not routed: \(documented.subtracting(routes))")
        // Every $ref points at a schema that exists.
        let schemas = (document["components"] as! [String: Any])["schemas"] as! [String: Any]
        func refs(in value: Any) -> [String] {
            if let d = value as? [String: Any] {
                return (d["$ref"] as? String).map { [String($0.split(separator: "/").last!)] } ?? d.values.flatMap(refs)
            }
            if let a = value as? [Any] { return a.flatMap(refs) }
            return []
        }
        let refs = refs(in: document)
        #expect(!refs.isEmpty)
        for name in ["DINOv3Request", "SAM3Response", "GroundingDINORequest", "DepthAnythingResponse", "ZeroShotDetectionRequest"] {
            #expect(refs.contains(name))
        }
        for ref in refs { #expect(schemas[ref] != nil, "missing schema \(ref)") }
    }

    /// The document says what the server enforces: statuses, bounds, patterns, the key schemes.
    @Test func documentDeclaresWhatTheServerEnforces() throws {
        let families = FamilyRegistry([DINOv3Family.schemasOnly, SAM3Family.schemasOnly, GroundingDINOFamily.schemasOnly])
        var document = OpenAPIDocument(version: "t", families: families, jobs: true, devices: ["cpu"],
                                       openPaths: ["/health/live", "/health/ready", "/metrics"])
        func parse(_ bytes: [UInt8]) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        }
        let open = try parse(document.json)
        document.keysRequired = true
        let keyed = try parse(document.json)
        func responses(_ doc: [String: Any], _ path: String, _ method: String) -> [String: [String: Any]] {
            (((doc["paths"] as? [String: Any])?[path] as? [String: Any])?[method] as? [String: Any])?["responses"]
                as? [String: [String: Any]] ?? [:]
        }
        // One submit path per type; new jobs are 202, an Idempotency-Key's existing job 200.
        let submit = responses(open, "/jobs/submit/sam3", "post")
        #expect(Set(submit.keys) == ["200", "202", "400", "403", "408", "413", "415", "422", "429", "500", "503", "507"])
        #expect((submit["429"]?["headers"] as? [String: Any])?["Retry-After"] != nil)
        // The job database unavailable (503 with Retry-After) or its disk full (507).
        #expect((submit["503"]?["headers"] as? [String: Any])?["Retry-After"] != nil)
        #expect(responses(open, "/jobs/submit/{model_type}", "post").isEmpty)
        // With keys: a 401 (with WWW-Authenticate) everywhere but the open paths.
        #expect(responses(open, "/models/status", "get")["401"] == nil)
        #expect((responses(keyed, "/models/status", "get")["401"]?["headers"] as? [String: Any])?["WWW-Authenticate"] != nil)
        #expect(responses(keyed, "/health/live", "get")["401"] == nil && responses(keyed, "/metrics", "get")["401"] == nil)
        #expect(((keyed["components"] as? [String: Any])?["securitySchemes"] as? [String: Any])?.keys.sorted() == ["apiKey", "bearer"])
        // Bounds and patterns are the server's own.
        let schemas = (open["components"] as! [String: Any])["schemas"] as! [String: [String: Any]]
        let load = schemas["LoadRequest"]!["properties"] as! [String: [String: Any]]
        #expect(load["model_id"]?["pattern"] as? String == ModelReference.idPattern)
        #expect(load["model_id"]?["maxLength"] as? Int == ModelReference.idMaxLength)
        #expect(load["variant"]?["pattern"] as? String == ModelReference.variantPattern)
        #expect(schemas["Device"]?["enum"] as? [String] == ["cpu"])
        #expect((load["model_type"]?["enum"] as? [String])?.contains("grounding-dino") == true)
        let list = ((open["paths"] as! [String: Any])["/jobs"] as! [String: Any])["get"] as! [String: Any]
        let bounds = Dictionary(uniqueKeysWithValues: (list["parameters"] as! [[String: Any]]).map {
            ($0["name"] as! String, $0["schema"] as! [String: Any])
        })
        #expect(bounds["limit"]?["maximum"] as? Int == JobListQuery.maxLimit)
        #expect(bounds["offset"]?["maximum"] as? Int == JobListQuery.maxOffset)
        #expect(try JobListQuery.integer(String(JobListQuery.maxOffset), name: "offset", default: 0,
                                         range: 0...JobListQuery.maxOffset) == JobListQuery.maxOffset)
        #expect(throws: VisionError.self) {
            try JobListQuery.integer(String(JobListQuery.maxOffset + 1), name: "offset", default: 0, range: 0...JobListQuery.maxOffset)
        }
    }

    /// `model_id` and `variant` are checked with the patterns the document publishes, and an
    /// ECMA-style engine (ICU's, as NSRegularExpression) reads those patterns the same way.
    @Test(arguments: [("facebook/sam3", true), ("bert-base-uncased", true), ("org/model@main", true),
                      ("org/model@refs/pr/1", true), ("org/model@v1.0", true), ("IDEA-Research/grounding-dino-tiny", true),
                      ("org/model@\(String(repeating: "a", count: 40))", true), ("a.b_c/d-e.f", true),
                      ("", false), ("org/", false), ("/x", false), ("org//x", false), ("a--b/c", false), ("org/.hidden", false),
                      ("org/model@../x", false), ("org/model@/x", false), ("org/model@", false), ("org/a/b", false),
                      ("org/na me", false), ("org/model\n", false), ("org/mödel", false),
                      ("org/" + String(repeating: "x", count: 197), false)])
    func modelIDsFollowThePublishedPattern(_ id: String, _ valid: Bool) throws {
        #expect(((try? ModelReference(parsing: id)) != nil) == valid, "\(id)")
        // ICU's `$` also matches before a final newline (ECMA's and Swift's do not): that case is the parser's alone.
        if id.hasSuffix("\n") { return }
        let regex = try NSRegularExpression(pattern: ModelReference.idPattern)
        let matches = regex.firstMatch(in: id, range: NSRange(id.startIndex..., in: id)) != nil && id.count <= ModelReference.idMaxLength
        #expect(matches == valid, "\(id)")
    }

    @Test func docsAndCORSOverHTTP() async throws {
        try await ServerProcess.with { server in
            let doc = try await server.get("/openapi.json").json
            #expect(doc["openapi"] as? String == "3.1.0")
            let docs = try await server.get("/docs")
            // scripts/setup.sh installs Swagger UI into .deps/swagger-ui, where a checkout's binary finds it.
            #expect(docs.status == 200 && docs.text.contains("/static/swagger-ui-bundle.js"))
            let start = try await server.get("/static/docs.js").text
            #expect(start.contains("SwaggerUIBundle") && start.contains("/openapi.json"))
            #expect(try await server.get("/static/swagger-ui-bundle.js").body.count > 500_000)
            let root = try await server.get("/").json
            #expect(root["name"] as? String == "Vision Models API" && root["docs"] as? String == "/docs")
            let preflight = try await server.request("OPTIONS", "/inference/dinov3", headers: [
                "Origin": "https://example.org", "Access-Control-Request-Method": "POST",
            ])
            #expect(preflight.header("access-control-allow-origin") == "*")
            let simple = try await server.request("GET", "/health", headers: ["Origin": "https://example.org"])
            #expect(simple.header("access-control-allow-origin") == "*")
        }
    }
}
