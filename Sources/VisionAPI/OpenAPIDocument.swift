import VisionCore
import VisionEngine

/// The OpenAPI 3.1 description of every route (a test checks it against the router): the system,
/// model and job routes declared here, each family's routes and schemas from the registry.
struct OpenAPIDocument {
    let version: String
    let families: FamilyRegistry
    /// Whether the `/jobs` routes are served.
    let jobs: Bool

    var json: [UInt8] { document.bytes }

    private static let errorText: [Int: String] = [
        400: "Bad input (invalid base64, refused URL, unknown model type, ...)",
        401: "API keys are set and the request has no valid one (WWW-Authenticate: Bearer)",
        403: "Refused: a model outside ALLOWED_MODELS, a gated model, a refused callback URL",
        408: "The request body did not arrive within BODY_TIMEOUT_SECONDS",
        404: "Not found", 413: "Body or image too large", 415: "Not a decodable image",
        422: "Body does not match the schema", 429: "Overloaded; see Retry-After",
        500: "Server fault", 503: "Starting or stopping",
    ]

    private static func content(_ schema: Schema) -> JSONValue { ["application/json": ["schema": schema.json]] }

    private static func operation(_ summary: String, tag: String, request: String? = nil, response: String,
                                  status: String = "200", errors: [Int] = [500], parameters: [JSONValue] = []) -> JSONValue {
        var responses: [(String, JSONValue)] = [(status, ["description": "OK", "content": content(.ref(response))])]
        for code in errors {
            responses.append((String(code), ["description": .string(errorText[code] ?? "Error"), "content": content(.ref("Error"))]))
        }
        var op: [(String, JSONValue)] = [("summary", .string(summary)), ("tags", [.string(tag)]), ("responses", .object(responses))]
        if let request { op.append(("requestBody", ["required": true, "content": content(.ref(request))])) }
        if !parameters.isEmpty { op.append(("parameters", .array(parameters))) }
        return .object(op)
    }

    private static func plain(_ summary: String, tag: String, description: String, mediaType: String) -> JSONValue {
        let ok: JSONValue = ["description": .string(description), "content": .object([(mediaType, .object([]))])]
        return ["summary": .string(summary), "tags": [.string(tag)], "responses": ["200": ok]]
    }

    private static func parameter(_ name: String, in place: String, schema: Schema, required: Bool) -> JSONValue {
        ["name": .string(name), "in": .string(place), "required": .bool(required), "schema": schema.json]
    }

    private var modelTypes: [String] { families.types.map(\.rawValue) }

    private var systemSchemas: [(String, Schema)] {
        [("Error", .object(["detail": .string()], required: ["detail"])),
         ("ImageInput", ImageInput.schema),
         ("Root", .object(["name": .string(), "version": .string(), "docs": .string(), "openapi": .string()])),
         ("Health", .object([
             "status": .string(), "loaded_models": .array(.string()), "available_memory_gb": .number(nullable: true),
             "gpu_available": .boolean(), "resident_memory_mb": .number(nullable: true, description: "This process's resident memory"),
             "devices": .array(.string()), "onnxruntime_version": .string(), "version": .string(),
         ], description: "Families may add fields (e.g. sam3_embedding_cache)")),
         ("ModelInstance", .object([
             "model_type": .string(enum: modelTypes), "model_id": .string(), "device": .string(enum: ["cpu", "cuda"]),
             "loaded": .boolean(), "loading": .boolean(),
             "state": .string(enum: ["absent", "downloading", "loading", "ready", "failed"]),
             "memory_mb": .number(description: "Measured resident memory the load added"),
             "load_time": .number(), "idle_seconds": .number(), "error": .string(),
             "downloads": .array(.object(["file": .string(), "bytes_done": .integer(), "bytes_total": .integer(nullable: true)])),
         ])),
         ("ModelStatus", .object([
             "models": .object([:], description: "Per model type, as the original", additional: .ref("ModelInstance")),
             "instances": .array(.ref("ModelInstance")), "total_memory_mb": .number(),
         ])),
         ("Status", .object(["status": .string()])),
         ("LoadRequest", .object([
             "model_type": .string(enum: modelTypes), "model_id": .string(), "device": .string(enum: ["cpu", "cuda"]),
             "variant": .string(),
         ], required: ["model_type"])),
         ("LoadResponse", .object([
             "status": .string(), "model_type": .string(enum: modelTypes), "model_id": .string(), "device": .string(),
             "memory_mb": .number(), "load_time": .number(),
         ])),
         ("UnloadRequest", .object(["model_type": .string(enum: modelTypes), "model_id": .string()],
                                   description: "model_type (all models of that type) or model_id")),
         ("UnloadResponse", .object([
             "status": .string(), "model_type": .string(), "model_id": .string(), "unloaded": .array(.string()),
         ])),
         ("UnloadAllResponse", .object(["status": .string(), "model_types": .array(.string(enum: modelTypes))]))]
    }

    private var jobSchemas: [(String, Schema)] {
        [("Job", .object([
            "job_id": .string(), "status": .string(enum: ["pending", "running", "completed", "failed", "cancelled"]),
            "model_type": .string(enum: modelTypes), "created_at": .string(format: "date-time"),
            "started_at": .nullableString(), "completed_at": .nullableString(),
            "processing_time": .number(nullable: true), "attempts": .integer(),
            "result": .any(description: "The inference response (GET /jobs/{job_id} only)"), "error": .nullableString(),
        ], required: ["job_id", "status", "model_type", "created_at"])),
         ("JobList", .object(["jobs": .array(.ref("Job")), "total": .integer(), "limit": .integer(), "offset": .integer()])),
         ("JobSubmission", .object(properties: [
             ("callback_url", .string(description: "POSTed the finished job (through the image URL guard)")),
         ], description: "The model type's inference request (the body of its first /inference route), optionally "
                        + "with callback_url"))]
    }

    private var paths: [(String, JSONValue)] {
        var paths: [(String, JSONValue)] = [
            ("/", ["get": Self.operation("Service name and version", tag: "system", response: "Root")]),
            ("/health", ["get": Self.operation("Health, loaded models, memory and GPU", tag: "system", response: "Health")]),
            ("/health/live", ["get": Self.operation("Liveness: the process answers", tag: "system", response: "Status")]),
            ("/health/ready", ["get": Self.operation("Readiness: preloads done and the engine works", tag: "system",
                                                     response: "Status", errors: [503])]),
            ("/openapi.json", ["get": Self.plain("This document", tag: "system", description: "OpenAPI 3.1 document",
                                                 mediaType: "application/json")]),
            ("/docs", ["get": Self.plain("Interactive API docs (Swagger UI)", tag: "system", description: "HTML page",
                                         mediaType: "text/html")]),
            ("/metrics", ["get": Self.plain("Prometheus metrics: each family's, and jobs by status, finished jobs, run times",
                                            tag: "system", description: "Prometheus text format 0.0.4",
                                            mediaType: "text/plain")]),
            ("/models/status", ["get": Self.operation("Per model type: model id, device, loaded, memory", tag: "models",
                                                      response: "ModelStatus")]),
            ("/models/load", ["post": Self.operation("Load a model now (models also load on first use)", tag: "models",
                                                     request: "LoadRequest", response: "LoadResponse",
                                                     errors: [400, 404, 422, 500])]),
            ("/models/unload", ["post": Self.operation("Unload a model type", tag: "models", request: "UnloadRequest",
                                                       response: "UnloadResponse", errors: [400, 422])]),
            ("/models/unload-all", ["post": Self.operation("Unload every model", tag: "models", response: "UnloadAllResponse")]),
        ]
        for family in families.families {
            for route in family.routes {
                paths.append((route.path, ["post": Self.operation(
                    route.summary, tag: "inference", request: route.requestSchema, response: route.responseSchema,
                    errors: [400, 401, 403, 404, 408, 413, 415, 422, 429, 500, 503])]))
            }
        }
        if jobs {
            let typeParameter = Self.parameter("model_type", in: "path", schema: .string(enum: modelTypes), required: true)
            let idParameter = Self.parameter("job_id", in: "path", schema: .string(), required: true)
            paths += [
                ("/jobs/submit/{model_type}", ["post": Self.operation(
                    "Queue an inference request (validated now; images stored with the job). Idempotency-Key header: "
                    + "the same key returns the same job", tag: "jobs", request: "JobSubmission", response: "Job",
                    status: "202", errors: [400, 403, 413, 415, 422, 429, 500], parameters: [typeParameter])]),
                ("/jobs/{job_id}", [
                    "get": Self.operation("A job, with its result once completed", tag: "jobs", response: "Job",
                                          errors: [404, 500], parameters: [idParameter]),
                    "delete": Self.operation("Cancel a pending job; ask a running one to stop at its next safe point; "
                                             + "delete a finished one", tag: "jobs", response: "Job", errors: [404, 500],
                                             parameters: [idParameter]),
                ]),
                ("/jobs", ["get": Self.operation("Jobs, newest first, without results", tag: "jobs", response: "JobList",
                                                 errors: [400, 500], parameters: [
                    Self.parameter("status", in: "query",
                                   schema: .string(enum: ["pending", "running", "completed", "failed", "cancelled"]),
                                   required: false),
                    Self.parameter("model_type", in: "query", schema: .string(enum: modelTypes), required: false),
                    Self.parameter("limit", in: "query", schema: .integer(default: 50, minimum: 1, maximum: 500),
                                   required: false),
                    Self.parameter("offset", in: "query", schema: .integer(default: 0, minimum: 0), required: false),
                ])]),
            ]
        }
        return paths
    }

    var document: JSONValue {
        var schemas = systemSchemas
        // Families may share a component (Detections): each name once; the same name must be the same schema.
        for family in families.families {
            for (name, schema) in family.schemas {
                if let existing = schemas.first(where: { $0.0 == name }) {
                    precondition(existing.1 == schema, "component \(name) is declared twice, differently")
                } else {
                    schemas.append((name, schema))
                }
            }
        }
        if jobs { schemas += jobSchemas }
        return [
            "openapi": "3.1.0",
            "info": ["title": "Vision Models API", "version": .string(version),
                     "description": "Hugging Face vision foundation models over HTTP, on ONNX Runtime."],
            "paths": .object(paths),
            "components": ["schemas": .object(schemas.map { ($0.0, $0.1.json) })],
        ]
    }

    static let swaggerPage = """
    <!doctype html>
    <html lang="en">
    <head>
      <meta charset="utf-8">
      <title>Vision Models API</title>
      <link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css">
    </head>
    <body>
      <div id="swagger-ui"></div>
      <script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
      <script>window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui"});</script>
      <noscript>The OpenAPI document is at <a href="/openapi.json">/openapi.json</a>.</noscript>
    </body>
    </html>
    """
}
