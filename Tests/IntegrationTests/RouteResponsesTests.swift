import Foundation
import TestSupport
import Testing
import VisionApp
@testable import VisionEngine

/// Every route's real answers, from a running server, against what its own `/openapi.json`
/// documents for that route, method and status: the system, model and job routes (whose
/// responses are built in the routes) as well as the inference ones.
@Suite struct RouteResponsesTests {
    /// The schema the document gives `method path` (a template path) for `status`.
    static func documented(_ document: [String: Any], _ method: String, _ path: String, _ status: Int) -> [String: Any]? {
        let paths = document["paths"] as? [String: Any]
        let operation = (paths?[path] as? [String: Any])?[method.lowercased()] as? [String: Any]
        let response = (operation?["responses"] as? [String: Any])?[String(status)] as? [String: Any]
        return ((response?["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"] as? [String: Any]
    }

    @Test func everyRouteAnswersAsItsDocumentSays() async throws {
        let png = try FixtureFiles.data("preprocessing/wide_90x151.png").base64EncodedString()
        try await ServerProcess.with(root: try rootWithModels()) { server in
            let document = try await server.get("/openapi.json").json
            let components = (document["components"] as? [String: Any])?["schemas"] as? [String: Any] ?? [:]
            var checked: [String] = []

            func check(_ method: String, _ path: String, as template: String? = nil, body: Any? = nil,
                       expect status: Int) async throws -> ServerProcess.Reply {
                let reply: ServerProcess.Reply
                if let body { reply = try await server.post(path, json: body) } else { reply = try await server.request(method, path) }
                let template = template ?? path
                #expect(reply.status == status, "\(method) \(path): \(reply.status) \(reply.text.prefix(300))")
                let schema = Self.documented(document, method, template, reply.status)
                #expect(schema != nil, "\(method) \(template) documents no \(reply.status)")
                if let schema {
                    let value = try JSONSerialization.jsonObject(with: reply.body, options: [.fragmentsAllowed])
                    let problem = ResponseSchemaTests.mismatch(value, schema, components)
                    #expect(problem == nil, "\(method) \(path) \(reply.status): \(problem ?? "")")
                }
                checked.append("\(method) \(template) \(reply.status)")
                return reply
            }

            _ = try await check("GET", "/", expect: 200)
            _ = try await check("GET", "/health", expect: 200)
            _ = try await check("GET", "/health/live", expect: 200)
            _ = try await check("GET", "/health/ready", expect: 200)
            _ = try await check("GET", "/models/status", expect: 200)
            _ = try await check("GET", "/models/cache", expect: 200)
            _ = try await check("POST", "/models/load", body: ["model_type": "dinov3", "model_id": "tests/dinov3-vit-tiny"], expect: 200)
            _ = try await check("GET", "/models/status", expect: 200)  // now with a loaded model
            _ = try await check("POST", "/models/load", body: ["model_type": "dinov3", "model_id": "tests/absent"], expect: 404)
            _ = try await check("POST", "/inference/dinov3", body: ["images": [png], "model_id": "tests/dinov3-vit-tiny"], expect: 200)
            _ = try await check("POST", "/models/tests/vit-classifier-tiny", as: "/models/{org}/{name}",
                                body: ["inputs": png], expect: 200)
            _ = try await check("POST", "/models/unload", body: ["model_type": "dinov3"], expect: 200)
            _ = try await check("POST", "/models/unload-all", expect: 200)
            let submitted = try await check("POST", "/jobs/submit/dinov3", as: "/jobs/submit/dinov3",
                                            body: ["images": [png], "model_id": "tests/dinov3-vit-tiny"], expect: 202)
            let id = try #require(submitted.json["job_id"] as? String)
            var job = try await server.get("/jobs/\(id)")
            for _ in 0..<400 where !["completed", "failed"].contains(job.json["status"] as? String ?? "") {
                try await Task.sleep(for: .milliseconds(50))
                job = try await server.get("/jobs/\(id)")
            }
            _ = try await check("GET", "/jobs/\(id)", as: "/jobs/{job_id}", expect: 200)
            _ = try await check("GET", "/jobs", expect: 200)
            _ = try await check("DELETE", "/jobs/\(id)", as: "/jobs/{job_id}", expect: 200)
            _ = try await check("GET", "/jobs/\(UUID().uuidString)", as: "/jobs/{job_id}", expect: 404)
            #expect(checked.count == 18, "\(checked)")
            // The same server, every family's routes (one process, the models loaded once).
            try await Self.everyFamilyRouteAnswersItsExample(server, document)
        }
    }

    /// Every registered family's every route, sent its declared example with each cached fixture
    /// model that can serve it (as /models/cache says), answers 200 with what the document
    /// declares: a new family is checked without editing this test.
    static func everyFamilyRouteAnswersItsExample(_ server: ServerProcess, _ document: [String: Any]) async throws {
        let routes = AppBuilder.families.map { $0.schemasOnly }.flatMap { family in family.routes.map { (family.type.rawValue, $0) } }
        do {
            let components = (document["components"] as? [String: Any])?["schemas"] as? [String: Any] ?? [:]
            let cached = try await server.get("/models/cache").json["repositories"] as? [[String: Any]] ?? []
            var checked: Set<String> = [], answers = 0
            for (type, route) in routes {
                let models = cached.filter { ($0["model_types"] as? [String] ?? []).contains(type) }.compactMap { $0["model_id"] as? String }
                #expect(!models.isEmpty, "no fixture model serves \(type)")
                let schema = Self.documented(document, "POST", route.path, 200)
                #expect(schema != nil, "\(route.path) documents no 200")
                for model in models {
                    var body = try #require(try JSONSerialization.jsonObject(with: Data(route.example.bytes)) as? [String: Any])
                    body["model_id"] = model
                    let reply = try await server.post(route.path, json: body)
                    #expect(reply.status == 200, "\(route.path) with \(model): \(reply.status) \(reply.text.prefix(300))")
                    guard reply.status == 200, let schema else { continue }
                    let value = try JSONSerialization.jsonObject(with: reply.body, options: [.fragmentsAllowed])
                    let problem = ResponseSchemaTests.mismatch(value, schema, components)
                    #expect(problem == nil, "\(route.path) with \(model): \(problem ?? "")")
                    checked.insert(route.path)
                    answers += 1
                }
            }
            #expect(checked == Set(routes.map(\.1.path)), "unchecked: \(Set(routes.map(\.1.path)).subtracting(checked))")
            #expect(routes.count >= 7 && answers >= routes.count, "\(answers) answers over \(routes.count) routes")
        }
    }
}
