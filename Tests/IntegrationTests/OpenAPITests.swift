import JobQueue
import Foundation
import Hummingbird
import Logging
import TestSupport
import Testing
import VisionCore
@testable import VisionAPI
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
        let models = ModelManager(families: [DINOv3Family.erasedLoader, DepthAnythingFamily.erasedLoader], runtime: UnusedRuntime(), repository: EmptyRepository(),
                                  loadExecutor: executor, logger: Logger(label: "t"))
        let context = EngineContext(models: models, images: ImagePipeline(decoder: NoImages(), fetcher: NoImages(),
                                                                          executor: executor, limits: ImageLimits(),
                                                                          maxImagesPerRequest: 1), inference: executor)
        let familyContext = FamilyContext(engine: context, pngEncoder: NoImages(), deflater: NoImages(),
                                          settings: FamilySettings([:]))
        let families = FamilyRegistry([
            try SAM3Family.serve(familyContext), GroundingDINOFamily.serve(familyContext),
            DepthAnythingFamily.serve(familyContext), DINOv3Family.serve(familyContext),
        ])
        let jobs = JobsDependencies(store: InMemoryJobStore(),
                                    jobs: InferenceJobs(families: families, images: context.images, encoder: executor),
                                    metrics: JobMetrics(), maxPending: 1, checkCallback: { _ in })
        var dependencies = APIDependencies(models: models, families: families, runtimeVersion: "t", availableDevices: [.cpu],
                                           responseEncoder: executor)
        dependencies.jobs = jobs
        let router = makeRouter(configuration: APIConfiguration(version: "t"), dependencies: dependencies)
        // Router paths write parameters as ":name", OpenAPI as "{name}".
        let routes = Set(router.routes.map { route in
            let path = route.path.description.split(separator: "/", omittingEmptySubsequences: false)
                .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            return "\(route.method.rawValue.lowercased()) \(path)"
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

    @Test func docsAndCORSOverHTTP() async throws {
        try await ServerProcess.with { server in
            let doc = try await server.get("/openapi.json").json
            #expect(doc["openapi"] as? String == "3.1.0")
            let docs = try await server.get("/docs")
            #expect(docs.status == 200 && docs.text.contains("SwaggerUIBundle") && docs.text.contains("/openapi.json"))
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
