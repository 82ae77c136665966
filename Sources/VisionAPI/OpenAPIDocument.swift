import JobQueue
import VisionCore
import VisionEngine

/// The OpenAPI 3.1 description of every route (a test checks it against the router): the system,
/// model and job routes declared here, each family's routes and schemas from the registry.
struct OpenAPIDocument {
    let version: String
    let families: FamilyRegistry
    /// Whether the `/jobs` routes are served.
    let jobs: Bool
    /// The devices this runtime offers: the `Device` enum.
    var devices: [String] = ["cpu"]
    /// API keys are set: every operation outside `openPaths` declares the key schemes and a 401.
    var keysRequired = false
    var openPaths: Set<String> = []

    var json: [UInt8] { document.bytes }

    private static let errorText: [Int: String] = [
        400: "Bad input (invalid JSON or base64, a refused URL, an undecodable image, an unknown model type, ...)",
        401: "API keys are set and the request has no valid one (WWW-Authenticate: Bearer)",
        403: "Refused: a model outside ALLOWED_MODELS, a gated model, a refused callback URL",
        404: "Not found (a model that is not in the cache or on the hub, a job)",
        408: "The request body did not arrive within BODY_TIMEOUT_SECONDS",
        413: "Body or image too large", 415: "Not a decodable image",
        422: "Body does not match the schema", 429: "Overloaded; see Retry-After",
        500: "Server fault",
        503: "Starting or stopping, the hub is unreachable, or the job database is unavailable (retry after Retry-After)",
        507: "The disk holding the model cache or the job database is full",
    ]

    /// What a request with a JSON body can be answered besides success: not JSON (400), too
    /// slow (408), too large (413), not the schema (422).
    private static let bodyErrors = [400, 408, 413, 422]
    private static let jobStatuses = JobStatus.allCases.map(\.rawValue)

    private static func content(_ schema: Schema) -> JSONValue { ["application/json": ["schema": schema.json]] }

    /// One operation: its success response and every error status it answers.
    private struct Operation {
        var summary: String
        var tag: String
        var id: String?
        var request: Schema?
        var status = "200"
        var response: Schema?
        var mediaType = "application/json"
        var responseDescription = "OK"
        /// More success statuses with the same body (job submit: 202 new, 200 an existing key's job).
        var alsoStatus: [String] = []
        var errors: [Int] = [500]
        var parameters: [JSONValue] = []
        var links: [(String, JSONValue)] = []
        /// The body may also be an image's bytes (`image/*`, `application/octet-stream`): the
        /// Inference API's task form without parameters.
        var imageBody = false
        /// A body the operation answers with success.
        var example: JSONValue?
        /// Specification extensions (`x-...`), e.g. how `/ui` draws the answer.
        var extensions: [(String, JSONValue)] = []
    }

    /// An image's bytes as a request body.
    private static let imageBytes: JSONValue = ["schema": ["type": "string", "contentMediaType": "image/*", "minLength": 1]]

    private func render(_ op: Operation, path: String) -> JSONValue {
        var success: [(String, JSONValue)] = [("description", .string(op.responseDescription)),
                                              ("content", .object([(op.mediaType, op.response.map { ["schema": $0.json] } ?? .object([]))]))]
        if !op.links.isEmpty { success.append(("links", .object(op.links))) }
        var responses: [(String, JSONValue)] = ([op.status] + op.alsoStatus).map { ($0, .object(success)) }
        let secured = keysRequired && !openPaths.contains(path)
        var errors = op.errors
        if secured { errors.append(401) }
        for code in errors.sorted() {
            var response: [(String, JSONValue)] = [("description", .string(Self.errorText[code] ?? "Error")),
                                                   ("content", Self.content(.ref("Error")))]
            if code == 429 { response.append(("headers", ["Retry-After": ["required": true, "schema": ["type": "integer"]]])) }
            if code == 503 { response.append(("headers", ["Retry-After": ["required": false, "schema": ["type": "integer"]]])) }
            if code == 401 { response.append(("headers", ["WWW-Authenticate": ["required": true, "schema": ["type": "string"]]])) }
            responses.append((String(code), .object(response)))
        }
        var fields: [(String, JSONValue)] = [("summary", .string(op.summary)), ("tags", [.string(op.tag)])]
        if let id = op.id { fields.append(("operationId", .string(id))) }
        if !op.parameters.isEmpty { fields.append(("parameters", .array(op.parameters))) }
        if let request = op.request {
            var json: [(String, JSONValue)] = [("schema", request.json)]
            if let example = op.example { json.append(("example", example)) }
            var content: [(String, JSONValue)] = [("application/json", .object(json))]
            if op.imageBody { content += [("image/*", Self.imageBytes), ("application/octet-stream", Self.imageBytes)] }
            fields.append(("requestBody", ["required": true, "content": .object(content)]))
        }
        fields.append(("responses", .object(responses)))
        fields += op.extensions
        if secured { fields.append(("security", [["bearer": []], ["apiKey": []]])) }
        return .object(fields)
    }

    private static func parameter(_ name: String, in place: String, schema: Schema, required: Bool) -> JSONValue {
        ["name": .string(name), "in": .string(place), "required": .bool(required), "schema": schema.json]
    }

    /// The served model types as responses name them.
    private var modelTypes: [String] { families.types.map(\.rawValue) }
    /// The names a request may use: `grounding_dino` and `grounding-dino` alike.
    private var modelTypeNames: [String] {
        modelTypes.flatMap { name in
            let dashed = name.replacingOccurrences(of: "_", with: "-")
            return dashed == name ? [name] : [name, dashed]
        }
    }

    private var systemSchemas: [(String, Schema)] {
        [("Error", .object(["detail": .string()], required: ["detail"])),
         ("ImageInput", ImageInput.schema),
         ("Device", .string(enum: devices, description: "The devices this server's ONNX Runtime offers")),
         ("Root", RootAnswer.shape.schema),
         ("Health", HealthAnswer.shape(families).schema),
         ("ModelInstance", ModelInstanceAnswer.shape(families, modelTypes: modelTypes).schema),
         ("Readiness", ReadinessAnswer.shape.schema),
         ("ModelStatus", ModelStatusAnswer.shape(instance: ModelInstanceAnswer.shape(families, modelTypes: modelTypes),
                                                  ref: "ModelInstance").schema),
         ("Live", LiveAnswer.shape.schema),
         ("ModelCache", ModelCacheAnswer.shape(modelTypes: modelTypes).schema),
         ("CachedRepository", ModelCacheAnswer.repository(modelTypes: modelTypes).schema),
         ("CachedRevision", ModelCacheAnswer.revision(modelTypes: modelTypes).schema),
         ("LoadRequest", LoadRequest.shape(modelTypeNames: modelTypeNames).schema),
         ("LoadResponse", LoadAnswer.shape(modelTypes: modelTypes).schema),
         ("UnloadRequest", UnloadRequest.shape(modelTypeNames: modelTypeNames).schema),
         ("UnloadResponse", UnloadAnswer.shape.schema),
         ("UnloadAllResponse", UnloadAllAnswer.shape(modelTypes: modelTypes).schema)]
    }

    private var jobSchemas: [(String, Schema)] {
        [("Job", JobJSON.shape(modelTypes: modelTypes).schema),
         ("JobDeleted", JobJSON.deleted.schema),
         ("JobList", JobJSON.list(modelTypes: modelTypes).schema)]
    }

    private var systemPaths: [(String, [(String, Operation)])] {
        let json = Self.bodyErrors
        return [
            ("/", [("get", Operation(summary: "Service name and version", tag: "system", response: .ref("Root")))]),
            ("/health", [("get", Operation(summary: "Health, loaded models, memory and GPU", tag: "system",
                                           response: .ref("Health")))]),
            ("/health/live", [("get", Operation(summary: "Liveness: the process answers", tag: "system",
                                                response: .ref("Live")))]),
            ("/health/ready", [("get", Operation(summary: "Readiness: preloads done and the engine works", tag: "system",
                                                 response: .ref("Readiness"), errors: [503]))]),
            ("/openapi.json", [("get", Operation(summary: "This document", tag: "system",
                                                 responseDescription: "OpenAPI 3.1 document", errors: []))]),
            ("/docs", [("get", Operation(summary: "Interactive API docs (Swagger UI, served by this server)", tag: "system",
                                         mediaType: "text/html", responseDescription: "HTML page", errors: []))]),
            ("/ui", [("get", Operation(summary: "A page to try the models: pick a model, drop images, see the results drawn",
                                       tag: "system", mediaType: "text/html", responseDescription: "HTML page", errors: []))]),
            ("/static/{name}", [("get", Operation(summary: "The pages' scripts and style sheets", tag: "system", mediaType: "*/*",
                                                  responseDescription: "The file", errors: [404],
                                                  parameters: [Self.parameter("name", in: "path",
                                                                              schema: .string(enum: WebRoutes.staticNames),
                                                                              required: true)]))]),
            ("/metrics", [("get", Operation(summary: "Prometheus metrics: requests, model loads, inference, jobs, "
                                            + "SAM3 cache", tag: "system", mediaType: "text/plain",
                                            responseDescription: "Prometheus text format 0.0.4"))]),
            ("/models/status", [("get", Operation(summary: "Per model type: model id, device, loaded, memory",
                                                  tag: "models", response: .ref("ModelStatus")))]),
            ("/models/cache", [("get", Operation(summary: "Repositories in the Hugging Face cache: revisions, size on disk, "
                                                 + "model types that can serve them, variants", tag: "models",
                                                 response: .ref("ModelCache")))]),
            ("/models/load", [("post", Operation(summary: "Load a model now (models also load on first use)",
                                                 tag: "models", request: .ref("LoadRequest"), response: .ref("LoadResponse"),
                                                 errors: json + [403, 404, 500, 503, 507]))]),
            ("/models/unload", [("post", Operation(summary: "Unload a model type, or one model", tag: "models",
                                                   request: .ref("UnloadRequest"), response: .ref("UnloadResponse"),
                                                   errors: json + [500]))]),
            ("/models/unload-all", [("post", Operation(summary: "Unload every model", tag: "models",
                                                       response: .ref("UnloadAllResponse")))]),
        ]
    }

    private var inferencePaths: [(String, [(String, Operation)])] {
        let errors = Self.bodyErrors + [403, 404, 415, 429, 500, 503, 507]
        var paths: [(String, [(String, Operation)])] = families.families.flatMap { family in
            family.routes.enumerated().map { index, route in
                (route.path, [("post", Operation(summary: route.summary, tag: "inference", request: .ref(route.requestSchema),
                                                 response: .ref(route.responseSchema), errors: errors,
                                                 imageBody: route.imageBody, example: route.example,
                                                 extensions: index == 0 ? Self.page(family) : []))])
            }
        }
        // The Inference API's form: the model in the path, the task its family's task route.
        let tasks = families.families.flatMap { family in family.routes.filter { $0.task != nil } }
        guard !tasks.isEmpty else { return paths }
        let names = tasks.map { "`\($0.task!)` (\($0.path))" }.joined(separator: ", ")
        for prefix in InferenceAPIRoutes.prefixes {
            paths.append((prefix + "/{org}/{name}", [("post", Operation(
                summary: "The Hugging Face Inference API's form: the task is the model's (\(names)); the body that route "
                    + "takes, or the image's bytes. For huggingface_hub's InferenceClient(model=\"http://HOST\(prefix)/ORG/NAME\")",
                tag: "inference", request: .oneOf(tasks.map { .ref($0.requestSchema) }),
                response: .oneOf(tasks.map { .ref($0.responseSchema) }), errors: errors,
                parameters: [Self.parameter("org", in: "path", schema: .string(maxLength: 96, pattern: ModelReference.ownerPattern),
                                            required: true),
                             Self.parameter("name", in: "path", schema: .string(maxLength: 96, pattern: ModelReference.namePattern,
                                                                                description: "The repository name, optionally @revision"),
                                            required: true)],
                imageBody: true))]))
        }
        return paths
    }

    /// `x-page`: the family's model type, and how `/ui` draws its answers (`PageView`).
    private static func page(_ family: ServedFamily) -> [(String, JSONValue)] {
        var page: [(String, JSONValue)] = [("model_type", .string(family.type.rawValue))]
        if let view = family.page {
            page += [("renderer", .string(view.renderer.rawValue)), ("fields", .object(view.fields))]
        }
        return [("x-page", .object(page))]
    }

    private var jobPaths: [(String, [(String, Operation)])] {
        let idParameter = Self.parameter("job_id", in: "path", schema: .string(), required: true)
        let poll: (String, JSONValue) = ("GetJob", ["operationId": "getJob", "parameters": ["job_id": "$response.body#/job_id"]])
        let cancel: (String, JSONValue) = ("CancelJob", ["operationId": "cancelJob", "parameters": ["job_id": "$response.body#/job_id"]])
        // One submit path per model type, each with that type's request body: the body depends on
        // the type, and a path template cannot say so.
        var paths: [(String, [(String, Operation)])] = families.families.map { family in
            let body = Schema.allOf([.ref(family.routes[0].requestSchema), .object(properties: [
                ("callback_url", .string(format: "uri", pattern: "^https?://",
                                         description: "POSTed the finished job (through the image URL guard)")),
            ])])
            return ("/jobs/submit/\(family.type.rawValue)", [("post", Operation(
                summary: "Queue a \(family.type.rawValue) request (the body of \(family.routes[0].path), validated now; images "
                    + "stored with the job). Idempotency-Key header: the same key returns the same job (200)",
                tag: "jobs", request: body, status: "202", response: .ref("Job"), alsoStatus: ["200"],
                errors: Self.bodyErrors + [403, 415, 429, 500, 503, 507],
                parameters: [Self.parameter("Idempotency-Key", in: "header", schema: .string(maxLength: 200), required: false)],
                links: [poll, cancel], example: family.routes[0].example))])
        }
        paths += [
            ("/jobs/{job_id}", [
                ("get", Operation(summary: "A job, with its result once completed", tag: "jobs", id: "getJob",
                                  response: .ref("Job"), errors: [404, 500, 503], parameters: [idParameter])),
                ("delete", Operation(summary: "Cancel a pending job; ask a running one to stop; delete a finished one",
                                     tag: "jobs", id: "cancelJob", response: .oneOf([.ref("Job"), .ref("JobDeleted")]),
                                     errors: [404, 500, 503], parameters: [idParameter])),
            ]),
            ("/jobs", [("get", Operation(summary: "Jobs, newest first, without results", tag: "jobs",
                                         response: .ref("JobList"), errors: [400, 500, 503], parameters: [
                Self.parameter("status", in: "query", schema: .string(enum: Self.jobStatuses), required: false),
                Self.parameter("model_type", in: "query", schema: .string(enum: modelTypeNames), required: false),
                Self.parameter("limit", in: "query", schema: .integer(default: 50, minimum: 1, maximum: JobListQuery.maxLimit),
                               required: false),
                Self.parameter("offset", in: "query", schema: .integer(default: 0, minimum: 0, maximum: JobListQuery.maxOffset),
                               required: false),
            ]))]),
        ]
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
        let paths = systemPaths + inferencePaths + (jobs ? jobPaths : [])
        var components: [(String, JSONValue)] = [("schemas", .object(schemas.map { ($0.0, $0.1.json) }))]
        if keysRequired {
            components.append(("securitySchemes", [
                "bearer": ["type": "http", "scheme": "bearer", "description": "Authorization: Bearer <one of API_KEYS>"],
                "apiKey": ["type": "apiKey", "in": "header", "name": "X-API-Key"],
            ]))
        }
        return [
            "openapi": "3.1.0",
            "info": ["title": "Vision Models API", "version": .string(version),
                     "description": "Hugging Face vision foundation models over HTTP, on ONNX Runtime."],
            "paths": .object(paths.map { path, ops in (path, .object(ops.map { ($0.0, render($0.1, path: path)) })) }),
            "components": .object(components),
        ]
    }
}
