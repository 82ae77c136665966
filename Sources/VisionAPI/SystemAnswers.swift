import VisionCore
import VisionEngine

/// `/health`'s answer, declared once: the route writes it with `shape` and the document's
/// `Health` is `shape.schema`, the families' own fields (their `healthSchema`) included.
struct HealthAnswer: Sendable {
    var loadedModels: [String]
    var availableGB: Double?
    var gpuAvailable: Bool
    var residentMB: Double?
    var devices: [String]
    var runtimeVersion: String
    var version: String
    /// Each CPU execution provider and whether it can be used here.
    var providers: [(provider: ExecutionProvider, status: String)] = []
    /// The families' fields, by name.
    var familyFields: [String: JSONValue]

    static func shape(_ families: FamilyRegistry) -> JSONShape<HealthAnswer> {
        JSONShape([
            .string("status") { _ in "healthy" },
            .strings("loaded_models") { $0.loadedModels },
            .optionalNumber("available_memory_gb") { $0.availableGB },
            .boolean("gpu_available") { $0.gpuAvailable },
            .optionalNumber("resident_memory_mb", description: "This process's resident memory") { $0.residentMB },
            .strings("devices") { $0.devices },
            .string("onnxruntime_version") { $0.runtimeVersion },
            .custom("execution_providers", .object(properties: ExecutionProvider.allCases.map {
                ($0.rawValue, Schema.string(description: "'available', or why it cannot be used here"))
            }, description: "Each CPU execution provider and whether it can be used here (EXECUTION_PROVIDER picks)")) { r, w in
                w.raw("{")
                for (i, entry) in r.providers.enumerated() {
                    if i > 0 { w.raw(",") }
                    w.key(entry.provider.rawValue)
                    w.string(entry.status)
                }
                w.raw("}")
            },
            .string("version") { $0.version },
        ] + declaredFields(families.families.flatMap(\.healthSchema)) { $0.familyFields },
        description: "With the fields each family adds")
    }
}

/// One row of `/models/status`, declared once (the document's `ModelInstance`): a model the
/// manager knows, or a type's default model not loaded.
struct ModelInstanceAnswer: Sendable {
    var modelType: String
    var modelID: String
    var device: String
    var loaded = false
    var loading = false
    var state = "absent"
    var memoryMB = 0.0
    var loadSeconds: Double?
    var idleSeconds: Double?
    var error: String?
    var downloads: [DownloadProgress] = []
    /// The model's own fields (`LoadedModel.statusDetails`: its graph, the family's).
    var details: [String: JSONValue] = [:]
    /// Each graph session: where it runs and why.
    var placements: [(graph: String, placement: ProviderPlacement)] = []

    init(modelType: String, modelID: String, device: String) {
        self.modelType = modelType
        self.modelID = modelID
        self.device = device
    }

    init(_ row: ModelManager.Status) {
        self.init(modelType: row.modelType.rawValue, modelID: row.modelID, device: row.device.rawValue)
        loaded = row.loaded
        loading = row.loading
        state = row.state
        memoryMB = (row.memoryMB * 100).rounded() / 100
        loadSeconds = row.loadSeconds.map { ($0 * 1000).rounded() / 1000 }
        idleSeconds = row.idleSeconds.map { ($0 * 10).rounded() / 10 }
        error = row.error
        downloads = row.downloads
        details = Dictionary(row.details) { _, last in last }
        placements = row.placements
    }

    static let placement = JSONShape<(graph: String, placement: ProviderPlacement)>([
        .string("graph", description: "The graph file") { $0.graph },
        .string("provider", enum: ExecutionProvider.allCases.map(\.rawValue)) { $0.placement.provider.rawValue },
        .string("reason", description: "Why this provider: the setting, the measured times, or why OpenVINO could not take it") {
            $0.placement.reason
        },
        .boolean("deciding", description: "EXECUTION_PROVIDER=auto is still timing the first runs") { $0.placement.deciding },
    ])

    static let download = JSONShape<DownloadProgress>([
        .string("file") { $0.path },
        .integer("bytes_done") { $0.bytesDone },
        .custom("bytes_total", .integer(nullable: true)) { d, w in d.bytesTotal.map { w.number($0) } ?? w.null() },
    ])

    static func shape(_ families: FamilyRegistry, modelTypes: [String]) -> JSONShape<ModelInstanceAnswer> {
        let graph: (String, Schema) = ("graph", .string(description: "What serves it: 'repository' (its own ONNX graph) or "
                                                        + "'shipped:<name>' (a graph shipped with the server, the checkpoint's weights bound)"))
        return JSONShape([
            .string("model_type", enum: modelTypes) { $0.modelType },
            .string("model_id") { $0.modelID },
            .string("device", enum: ["cpu", "cuda"]) { $0.device },
            .boolean("loaded") { $0.loaded },
            .boolean("loading") { $0.loading },
            .string("state", enum: ["absent", "downloading", "loading", "ready", "failed"]) { $0.state },
            .number("memory_mb", description: "Measured resident memory the load added") { $0.memoryMB },
            .custom("load_time", .number(), present: { $0.loadSeconds != nil }) { r, w in w.number(r.loadSeconds ?? 0) },
            .custom("idle_seconds", .number(), present: { $0.idleSeconds != nil }) { r, w in w.number(r.idleSeconds ?? 0) },
            .custom("error", .string(), present: { $0.error != nil }) { r, w in w.string(r.error ?? "") },
            .custom("downloads", .array(download.schema), present: { !$0.downloads.isEmpty }) { r, w in
                download.writeList(r.downloads, to: &w)
            },
            .custom("execution_providers", .array(placement.schema), present: { !$0.placements.isEmpty }) { r, w in
                placement.writeList(r.placements, to: &w)
            },
        ] + declaredFields(uniqueFields([graph] + families.families.flatMap(\.statusSchema))) { $0.details })
    }

    /// Fields declared by several families once (the first declaration).
    private static func uniqueFields(_ fields: [(String, Schema)]) -> [(String, Schema)] {
        var seen = Set<String>()
        return fields.filter { seen.insert($0.0).inserted }
    }
}

/// `/models/status`: per model type its model (as the original), every instance, the total.
struct ModelStatusAnswer: Sendable {
    var byType: [(String, ModelInstanceAnswer)]
    var instances: [ModelInstanceAnswer]
    var totalMemoryMB: Double

    /// Rows written with `instance`, documented as references to `ref` (its schema).
    static func shape(instance: JSONShape<ModelInstanceAnswer>, ref: String) -> JSONShape<ModelStatusAnswer> {
        JSONShape([
            .custom("models", .object([:], description: "Per model type, as the original", additional: .ref(ref))) { r, w in
                w.raw("{")
                for (i, (type, row)) in r.byType.enumerated() {
                    if i > 0 { w.raw(",") }
                    w.key(type)
                    instance.write(row, to: &w)
                }
                w.raw("}")
            },
            .custom("instances", .array(.ref(ref))) { r, w in instance.writeList(r.instances, to: &w) },
            .number("total_memory_mb") { $0.totalMemoryMB },
        ])
    }
}

/// Fields declared elsewhere (a family's), each written from a dictionary of values when present.
private func declaredFields<Root>(_ declared: [(String, Schema)],
                                _ values: @escaping @Sendable (Root) -> [String: JSONValue]) -> [JSONShape<Root>.Field] {
    declared.map { name, schema in
        .custom(name, schema, present: { values($0)[name] != nil }) { r, w in w.raw(json: values(r)[name]?.bytes ?? Array("null".utf8)) }
    }
}

/// `/models/cache`, declared once (the document's `ModelCache`, `CachedRepository` and
/// `CachedRevision`): what the cache holds and which model types serve it.
struct ModelCacheAnswer: Sendable {
    struct Revision: Sendable {
        var commit: String
        var refs: [String]
        var modelTypes: [String]
        var variants: [String]
        var hasONNX: Bool
        var exported: Bool
        var files: Int
    }

    struct Repository: Sendable {
        var modelID: String
        var sizeBytes: Int
        var modelTypes: [String]
        var defaultFor: [String]
        var loaded: Bool
        var revisions: [Revision]
    }

    var repositories: [Repository]

    static func revision(modelTypes: [String]) -> JSONShape<Revision> {
        JSONShape([
            .string("commit") { $0.commit },
            .strings("refs") { $0.refs },
            .strings("model_types", enum: modelTypes) { $0.modelTypes },
            .strings("variants", description: "ONNX variants to pass as `variant` (fp16, quantized, ...)") { $0.variants },
            .boolean("has_onnx") { $0.hasONNX },
            .boolean("exported", description: "Graphs come from the export store (content/onnx)") { $0.exported },
            .integer("files", description: "Number of files in the snapshot") { $0.files },
        ])
    }

    static func repository(modelTypes: [String]) -> JSONShape<Repository> {
        JSONShape([
            .string("model_id") { $0.modelID },
            .integer("size_bytes") { $0.sizeBytes },
            .number("size_mb") { (Double($0.sizeBytes) / 10_485.76).rounded() / 100 },
            .strings("model_types", enum: modelTypes, description: "Model types that can serve it (any revision)") { $0.modelTypes },
            .strings("default_for", enum: modelTypes, description: "Model types whose default model it is") { $0.defaultFor },
            .boolean("loaded") { $0.loaded },
            .objects("revisions", revision(modelTypes: modelTypes), ref: "CachedRevision") { $0.revisions },
        ])
    }

    static func shape(modelTypes: [String]) -> JSONShape<ModelCacheAnswer> {
        JSONShape([
            .objects("repositories", repository(modelTypes: modelTypes), ref: "CachedRepository") { $0.repositories },
            .integer("total_size_bytes") { $0.repositories.reduce(0) { $0 + $1.sizeBytes } },
        ])
    }
}

/// `GET /`, declared once (the document's `Root`).
struct RootAnswer: Sendable {
    var version: String

    static let shape = JSONShape<RootAnswer>([
        .string("name") { _ in "Vision Models API" },
        .string("version") { $0.version },
        .string("docs") { _ in "/docs" },
        .string("ui") { _ in "/ui" },
        .string("openapi") { _ in "/openapi.json" },
    ])
}

/// `POST /models/load`'s answer, declared once (the document's `LoadResponse`).
struct LoadAnswer: Sendable {
    var modelType: String
    var modelID: String
    var device: String
    var memoryBytes: Int
    var seconds: Double

    static func shape(modelTypes: [String]) -> JSONShape<LoadAnswer> {
        JSONShape([
            .string("status", enum: ["loaded"]) { _ in "loaded" },
            .string("model_type", enum: modelTypes) { $0.modelType },
            .string("model_id") { $0.modelID },
            .string("device") { $0.device },
            .number("memory_mb") { (Double($0.memoryBytes) / 10_485.76).rounded() / 100 },
            .number("load_time") { $0.seconds },
        ])
    }
}

/// `POST /models/unload`'s answer, declared once (the document's `UnloadResponse`): what was
/// named (a type or a model) and what was unloaded.
struct UnloadAnswer: Sendable {
    var modelType: String?
    var modelID: String?
    var unloaded: [String]

    static let shape = JSONShape<UnloadAnswer>([
        .string("status", enum: ["unloaded", "not_loaded"]) { $0.unloaded.isEmpty ? "not_loaded" : "unloaded" },
        .custom("model_type", .string(), present: { $0.modelType != nil }) { r, w in w.string(r.modelType ?? "") },
        .custom("model_id", .string(), present: { $0.modelID != nil }) { r, w in w.string(r.modelID ?? "") },
        .strings("unloaded") { $0.unloaded },
    ])
}

/// `POST /models/unload-all`'s answer, declared once (the document's `UnloadAllResponse`).
struct UnloadAllAnswer: Sendable {
    var modelTypes: [String]

    static func shape(modelTypes: [String]) -> JSONShape<UnloadAllAnswer> {
        JSONShape([
            .string("status", enum: ["unloaded"]) { _ in "unloaded" },
            .strings("model_types", enum: modelTypes) { $0.modelTypes },
        ])
    }
}

/// `/health/live`'s answer: the process answers.
struct LiveAnswer: Sendable {
    static let shape = JSONShape<LiveAnswer>([.string("status", enum: ["alive"]) { _ in "alive" }])
}

/// `/health/ready`'s answer (a replica that is not ready answers 503 with an `Error`).
struct ReadinessAnswer: Sendable {
    /// `degraded`: inference works, the job store does not (and readiness does not require it).
    var degraded = false
    /// With jobs: `available`, or `unavailable: <why>`.
    var jobStore: String?

    static let shape = JSONShape<ReadinessAnswer>([
        .string("status", enum: ["ready", "degraded"]) { $0.degraded ? "degraded" : "ready" },
        .custom("job_store", .string(description: "With jobs: 'available', or 'unavailable: <why>' (degraded: inference "
                                     + "works, jobs are refused)"), present: { $0.jobStore != nil }) { r, w in w.string(r.jobStore!) },
    ])
}
