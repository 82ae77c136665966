import Foundation
import VisionAPI
import Logging
import VisionCore

/// Every setting, read from the environment or a `.env` file in the working directory (the
/// environment wins). CONFIG.md documents each one.
public struct Settings: Sendable {
    public var hfRootFolder = "."
    public var hfToken: String?
    public var host = "0.0.0.0"
    public var port = 8000
    public var logLevel: Logger.Level = .info
    public var device: ComputeDevice = .cpu
    /// `EXECUTION_PROVIDER`: auto (the faster of ONNX Runtime's CPU provider and OpenVINO per graph,
    /// timed on its first runs), cpu or openvino.
    public var executionProvider: ProviderPreference = .auto
    /// OPENVINO_ANY_CPU: OpenVINO may run on a CPU not made by Intel (through the forwarding library
    /// beside the plugin); false keeps the plugin's Intel-only rule.
    public var openVINOOnAnyCPU = true
    public var intraOpThreads: Int?
    public var allowSpinning = false
    /// ORT_CPU_MEM_ARENA (on) / ORT_MEMORY_PATTERN (off): chosen by measurement (CONFIG.md).
    public var cpuMemoryArena = true
    public var memoryPattern = false
    public var inferenceWorkers = 1
    public var inferenceQueueLimit = 32
    public var decodeThreads = 2
    public var maxBodyBytes = 64 << 20
    /// `BODY_TIMEOUT_SECONDS`: how long a request body may take to arrive.
    public var bodyTimeoutSeconds = 30
    public var maxImageBytes = 32 << 20
    public var maxImagePixels = 40_000_000
    public var maxImagesPerRequest = 32
    public var corsOrigins = ["*"]
    public var corsAllowCredentials = false
    public var imageURLAllowList: [String] = []
    public var allowPrivateImageURLs = false
    public var imageURLTimeoutSeconds: Int64 = 15
    public var maxModelMemoryMB: Int?
    /// SAM3 image-embedding cache size (vision-encoder outputs by image content).
    /// Job workers in this process (0: this replica only accepts jobs).
    public var jobWorkers = 2
    /// `postgres://…` to share the queue between replicas; otherwise SQLite at `jobsDatabasePath`.
    public var jobsDatabaseURL: String?
    public var jobsDatabasePath: String?
    public var jobRetentionSeconds = 3600
    public var maxPendingJobs = 1000
    public var jobLeaseSeconds = 30
    public var jobMaxAttempts = 3
    /// `JOB_STORE_TIMEOUT_SECONDS`: the deadline of every job-store call (a submit: twice this).
    public var jobStoreTimeoutSeconds = 5
    /// `READY_REQUIRES_JOB_STORE`: whether `/health/ready` is a 503 while the job store is unavailable.
    public var readyRequiresJobStore = true
    /// `SHUTDOWN_GRACE_SECONDS`: how long a SIGTERM waits for requests and running jobs before
    /// cancelling them (running jobs are released to another replica); the process exits at most
    /// 5 s after that whatever still waits.
    public var shutdownGraceSeconds = 10
    public var modelTTLSeconds: Int?
    /// `type[:model_id]` entries loaded at startup.
    public var preloadModels: [(type: String, modelID: String?)] = []
    /// `DEFAULT_MODELS`: `type:org/name[@revision]` entries, each the model a route serves when a
    /// request names none (instead of the family's built-in default).
    public var defaultModels: [(type: String, modelID: String)] = []

    /// API keys from `API_KEYS` (comma-separated); `API_KEYS_FILE` adds one per line. Secrets:
    /// never logged or printed.
    public var apiKeys: [String] = []
    public var apiKeysFile: String?
    /// Whether `/metrics` needs a key too (`METRICS_REQUIRE_KEY`; default: open, for scrapers).
    public var metricsRequireKey = false
    /// `CALLBACK_SECRET`: signs job callbacks (`X-Signature: sha256=<HMAC>`). A secret: never logged.
    public var callbackSecret: String?
    /// `ALLOWED_MODELS`: hub ids and `org/*` patterns the server may load; empty: any.
    public var allowedModels: [String] = []

    /// `GRAPHS_DIR`: the graphs shipped without weights (one folder each with `model.onnx` and
    /// `fingerprint.json`); unset: `graphs/` next to the executable, else the checkout's `graphs/`.
    public var graphsDir: String?
    /// `SWAGGER_UI_DIR`: a folder with Swagger UI's `swagger-ui-bundle.js` and `swagger-ui.css`.
    public var swaggerUIDir: String?

    /// Every setting as given (environment over `.env`), for the families' own settings.
    public private(set) var values: [String: String] = [:]

    public init() {}

    /// Reads settings from `environment`, falling back to `dotEnv` values.
    public init(environment: [String: String], dotEnv: [String: String]) throws {
        self.init()
        values = dotEnv.merging(environment) { _, env in env }
        func value(_ key: String) -> String? {
            if let v = environment[key] { return v }
            return dotEnv[key]
        }
        func int(_ key: String, min: Int = 0) throws -> Int? {
            guard let text = value(key), !text.isEmpty else { return nil }
            guard let v = Int(text), v >= min else { throw SettingsError("\(key) must be an integer ≥ \(min), got '\(text)'") }
            return v
        }
        func bool(_ key: String) throws -> Bool? {
            guard let text = value(key)?.lowercased(), !text.isEmpty else { return nil }
            switch text {
            case "1", "true", "yes", "on": return true
            case "0", "false", "no", "off": return false
            default: throw SettingsError("\(key) must be true or false, got '\(text)'")
            }
        }
        if let v = value("HF_ROOT_FOLDER"), !v.isEmpty { hfRootFolder = v }
        if let v = value("API_KEYS") { apiKeys = APIKeyring.keys(inList: v) }
        if let v = value("API_KEYS_FILE"), !v.isEmpty { apiKeysFile = v }
        if let v = value("CALLBACK_SECRET"), !v.isEmpty { callbackSecret = v }
        if let v = try bool("METRICS_REQUIRE_KEY") { metricsRequireKey = v }
        if let v = value("ALLOWED_MODELS") {
            allowedModels = v.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            for pattern in allowedModels where pattern.filter({ $0 == "/" }).count != 1 || pattern.dropLast(2).contains("*") {
                throw SettingsError("ALLOWED_MODELS entries are org/name or org/*, got '\(pattern.prefix(80))'")
            }
        }
        if let v = value("HF_TOKEN"), !v.isEmpty { hfToken = v }
        if let v = value("SWAGGER_UI_DIR"), !v.isEmpty { swaggerUIDir = v }
        if let v = value("HOST"), !v.isEmpty { host = v }
        if let v = try int("PORT") { port = v }
        if let v = value("LOG_LEVEL"), !v.isEmpty {
            guard let level = Logger.Level(rawValue: v.lowercased()) else { throw SettingsError("LOG_LEVEL '\(v)' is not a log level") }
            logLevel = level
        }
        if let v = value("DEVICE"), !v.isEmpty {
            guard let d = ComputeDevice(rawValue: v.lowercased()) else { throw SettingsError("DEVICE must be cpu or cuda, got '\(v)'") }
            device = d
        }
        if let v = value("EXECUTION_PROVIDER"), !v.isEmpty {
            guard let p = ProviderPreference(rawValue: v.lowercased()) else {
                throw SettingsError("EXECUTION_PROVIDER must be auto, cpu or openvino, got '\(v.prefix(40))'")
            }
            executionProvider = p
        }
        if let v = try bool("OPENVINO_ANY_CPU") { openVINOOnAnyCPU = v }
        if let v = try int("INTRA_OP_THREADS", min: 1) { intraOpThreads = v }
        if let v = try bool("ORT_ALLOW_SPINNING") { allowSpinning = v }
        if let v = try bool("ORT_CPU_MEM_ARENA") { cpuMemoryArena = v }
        if let v = try bool("ORT_MEMORY_PATTERN") { memoryPattern = v }
        if let v = try int("INFERENCE_WORKERS", min: 1) { inferenceWorkers = v }
        if let v = try int("INFERENCE_QUEUE_LIMIT") { inferenceQueueLimit = v }
        if let v = try int("DECODE_THREADS", min: 1) { decodeThreads = v }
        if let v = try int("MAX_BODY_BYTES", min: 1024) { maxBodyBytes = v }
        if let v = try int("BODY_TIMEOUT_SECONDS", min: 1) { bodyTimeoutSeconds = v }
        if let v = try int("MAX_IMAGE_BYTES", min: 1024) { maxImageBytes = v }
        if let v = try int("MAX_IMAGE_PIXELS", min: 1) { maxImagePixels = v }
        if let v = try int("MAX_IMAGES_PER_REQUEST", min: 1) { maxImagesPerRequest = v }
        if let v = value("CORS_ORIGINS") {
            corsOrigins = v.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if let v = try bool("CORS_ALLOW_CREDENTIALS") { corsAllowCredentials = v }
        if let v = value("IMAGE_URL_ALLOWLIST") {
            imageURLAllowList = v.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if let v = try bool("ALLOW_PRIVATE_IMAGE_URLS") { allowPrivateImageURLs = v }
        if let v = try int("IMAGE_URL_TIMEOUT_SECONDS", min: 1) { imageURLTimeoutSeconds = Int64(v) }
        if let v = try int("MAX_MODEL_MEMORY_MB", min: 1) { maxModelMemoryMB = v }
        if let v = try int("JOB_WORKERS", min: 0) { jobWorkers = v }
        if let v = value("JOBS_DATABASE_URL"), !v.isEmpty {
            guard v.hasPrefix("postgres://") || v.hasPrefix("postgresql://") else {
                throw SettingsError("JOBS_DATABASE_URL must be a postgres:// URL (SQLite is the default; set JOBS_DATABASE_PATH)")
            }
            jobsDatabaseURL = v
        }
        if let v = value("JOBS_DATABASE_PATH"), !v.isEmpty { jobsDatabasePath = v }
        if let v = try int("JOB_RETENTION_SECONDS", min: 0) { jobRetentionSeconds = v }
        if let v = try int("MAX_PENDING_JOBS", min: 1) { maxPendingJobs = v }
        if let v = try int("JOB_LEASE_SECONDS", min: 2) { jobLeaseSeconds = v }
        if let v = try int("JOB_MAX_ATTEMPTS", min: 1) { jobMaxAttempts = v }
        if let v = try int("JOB_STORE_TIMEOUT_SECONDS", min: 1) { jobStoreTimeoutSeconds = v }
        if let v = value("GRAPHS_DIR"), !v.isEmpty { graphsDir = v }
        if let v = try bool("READY_REQUIRES_JOB_STORE") { readyRequiresJobStore = v }
        if let v = try int("SHUTDOWN_GRACE_SECONDS", min: 1) { shutdownGraceSeconds = v }
        if let v = try int("MODEL_TTL", min: 0), v > 0 { modelTTLSeconds = v }
        if let v = value("PRELOAD_MODELS") {
            preloadModels = v.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                .map { item in
                    let parts = item.split(separator: ":", maxSplits: 1).map(String.init)
                    return (parts[0], parts.count > 1 ? parts[1] : nil)
                }
        }
        if let v = value("DEFAULT_MODELS") {
            defaultModels = try v.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                .map { item in
                    let parts = item.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                        throw SettingsError("DEFAULT_MODELS entry '\(item.prefix(200))' is not 'model_type:org/name[@revision]'")
                    }
                    return (parts[0], parts[1])
                }
            let types = defaultModels.map(\.type)
            if let twice = types.first(where: { t in types.filter { $0 == t }.count > 1 }) {
                throw SettingsError("DEFAULT_MODELS names model type '\(twice)' more than once")
            }
        }
    }

    /// Threads, spinning and memory settings for every ONNX Runtime session (the device is chosen
    /// per model).
    public var sessionOptions: SessionOptions {
        SessionOptions(intraOpThreads: intraOpThreads, device: device, allowSpinning: allowSpinning,
                       cpuMemoryArena: cpuMemoryArena, memoryPattern: memoryPattern, provider: executionProvider,
                       concurrentRuns: inferenceWorkers)
    }

    /// `API_KEYS` and the keys in `API_KEYS_FILE` (read now: SIGHUP reads it again).
    public func loadAPIKeys() throws -> [String] {
        guard let path = apiKeysFile else { return apiKeys }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SettingsError("API_KEYS_FILE '\(path)' cannot be read")
        }
        return apiKeys + APIKeyring.keys(inFile: String(decoding: data, as: UTF8.self))
    }

    /// The SQLite job database: JOBS_DATABASE_PATH, else `{root}/content/jobs.sqlite`.
    public var jobsSQLitePath: String { jobsDatabasePath ?? hfRootFolder + "/content/jobs.sqlite" }

    /// `{root}/content/hf_cache` and the folders under it, as the original derived them.
    public var hfHome: String { hfRootFolder + "/content/hf_cache" }
    public var hubCache: String { hfHome + "/hub" }
    /// Where `tools/export/export.py --from-hub` writes graphs for repositories without ONNX.
    public var exportStore: String { hfRootFolder + "/content/onnx" }
}

/// A setting with a value that cannot be used.
public struct SettingsError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
