import Crypto
import Foundation
import JobQueue
import JobStorePostgres
import JobStoreSQLite
import PostgresNIO
import Prometheus
import HubCache
import HubClient
import Hummingbird
import ImageCodecs
import Logging
import NIOCore
import ONNXRuntimeAdapter
import RemoteImages
import ServiceLifecycle
import UnixSignals
import VisionAPI
import VisionCore
import VisionEngine

/// The one place where concrete types are chosen and wired together.
public enum AppBuilder {
    public static let version = "0.1.0"

    /// The served model families, one line each (a family is its folder under
    /// Sources/VisionEngine/Families and this line). Order: routes, `/models/status` and the
    /// OpenAPI document list them so.
    public static var families: [any Family.Type] {
        [
            SAM3Family.self,
            SAM2Family.self,
            GroundingDINOFamily.self,
            DepthAnythingFamily.self,
            DINOv3Family.self,
            ImageClassificationFamily.self,
            ObjectDetectionFamily.self,
            EmbeddingsFamily.self,
        ]
    }

    /// The exporter families, for messages that do not know the model type.
    static var exporterHint: ExportHint { .oneOf(families.flatMap { $0.erasedLoader.exporter.names }) }

    /// Configures the HF environment, loads ONNX Runtime and builds the services to run, in
    /// start order (shutdown runs in reverse: the HTTP server stops first, then the engine).
    public static func build(settings: Settings, logger: Logger,
                             onListening: @escaping @Sendable (String, Int) async -> Void = { _, _ in }) throws -> ServiceGroup {
        try HFEnvironment.configure(settings, logger: logger)
        try checkFamilySettings(settings)
        let keyring = APIKeyring(keys: try settings.loadAPIKeys())
        if keyring.isEnabled {
            logger.info("API keys required", metadata: ["keys": "\(keyring.count)",
                                                        "metrics": "\(settings.metricsRequireKey ? "key required" : "open")"])
        } else if !["127.0.0.1", "localhost", "::1"].contains(settings.host) {
            logger.warning("no API keys are set (API_KEYS, API_KEYS_FILE): every route is open to anyone who reaches \(settings.host):\(settings.port)")
        }
        // Checked before the engine is made (its hub client must be shut down once made).
        let preloads = try settings.preloadModels.map { item -> (ModelType, String?) in
            let entry = item.type + (item.modelID.map { ":" + $0 } ?? "")
            return (try servedType(item.type, setting: "PRELOAD_MODELS", entry: entry), item.modelID)
        }
        // Made before the engine: a failure here stops the server before there is a hub client to
        // shut down (an AsyncHTTPClient dropped unshut crashes the process instead of exiting).
        // The job queue: SQLite in the cache folder, or PostgreSQL shared by replicas; every call
        // under a deadline, database faults as retryable errors (GuardedJobStore).
        let storeTimeout = Duration.seconds(settings.jobStoreTimeoutSeconds)
        let databaseStore: any JobStore
        var postgres: PostgresClient?
        if let url = settings.jobsDatabaseURL {
            let client = PostgresClient(configuration: try PostgresJobStore.configuration(url: url), backgroundLogger: logger)
            postgres = client
            databaseStore = PostgresJobStore(client: client, logger: logger, timeout: storeTimeout)
            logger.info("job store: PostgreSQL", metadata: ["host": "\(URLComponents(string: url)?.host ?? "?")"])
        } else {
            do {
                let sqlite = try SQLiteJobStore(path: settings.jobsSQLitePath, timeout: storeTimeout)
                try sqlite.migrateNow()
                databaseStore = sqlite
            } catch {
                throw SettingsError("JOBS_DATABASE_PATH '\(settings.jobsSQLitePath)': the job database cannot be opened "
                                    + "or created there (\(error))")
            }
            logger.info("job store: SQLite", metadata: ["path": "\(settings.jobsSQLitePath)"])
        }
        let engine = try makeEngine(settings: settings, logger: logger)
        let (runtime, models, fetcher, hub, metrics, images, registry, requestWork) =
            (engine.runtime, engine.models, engine.fetcher, engine.hub, engine.metrics, engine.images, engine.registry,
             engine.requestWork)
        let readiness = Readiness()
        let storeHealth = JobStoreHealth()
        let jobStore = GuardedJobStore(databaseStore, timeout: storeTimeout, health: storeHealth,
                                       metrics: metrics.factory, logger: logger)
        let inferenceJobs = InferenceJobs(families: registry, images: images, work: requestWork)
        let jobMetrics = JobMetrics(factory: metrics.factory)
        var dependencies = APIDependencies(models: models, families: registry, runtimeVersion: runtime.version,
                                           availableDevices: runtime.availableDevices, requestWork: requestWork,
                                           readiness: readiness)
        dependencies.metrics = metrics
        dependencies.providers = { runtime.providerAvailability }
        dependencies.cacheInventory = HubCacheInventory(cacheFolder: settings.hubCache, exportStore: settings.exportStore)
        dependencies.jobs = JobsDependencies(store: jobStore, jobs: inferenceJobs, metrics: jobMetrics,
                                             maxPending: settings.maxPendingJobs, health: storeHealth,
                                             readyRequiresStore: settings.readyRequiresJobStore,
                                             checkCallback: { url in try await fetcher.checkURL(url) })
        let router = makeRouter(
            configuration: APIConfiguration(version: version, maxBodyBytes: settings.maxBodyBytes,
                                            corsOrigins: settings.corsOrigins,
                                            corsAllowCredentials: settings.corsAllowCredentials,
                                            keyring: keyring, metricsRequireKey: settings.metricsRequireKey,
                                            bodyTimeout: .seconds(settings.bodyTimeoutSeconds),
                                            swaggerUI: loadSwaggerUI(settings: settings, logger: logger)),
            dependencies: dependencies)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "vision-models-api"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? settings.port
                logger.info("Server listening on http://\(settings.host):\(port)")
                await onListening(settings.host, port)
            },
            logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: EngineService(models: models, executors: engine.executors, hub: hub, logger: logger)),
            .init(service: StartupService(models: models, preloads: preloads, readiness: readiness, logger: logger)),
            .init(service: APIKeyReloader(settings: settings, keyring: keyring, logger: logger)),
        ]
        if let ttl = settings.modelTTLSeconds {
            services.append(.init(service: IdleModelReaper(models: models, ttl: .seconds(ttl), logger: logger)))
        }
        if let postgres { services.append(.init(service: postgres)) }
        // Stops after the workers (reverse order), so callbacks of their last jobs still go out.
        let callbacks = CallbackDelivery(fetcher: fetcher, secret: settings.callbackSecret, logger: logger)
        services.append(.init(service: callbacks))
        services.append(.init(service: app))
        // Last to start, first to stop: a graceful stop lets running jobs finish while the engine still runs.
        services.append(.init(service: JobWorkerPool(
            store: jobStore, executor: inferenceJobs, callbacks: callbacks,
            configuration: JobWorkerConfiguration(workers: settings.jobWorkers, leaseSeconds: Double(settings.jobLeaseSeconds),
                                                  heartbeatSeconds: Double(settings.jobLeaseSeconds) / 3,
                                                  maxAttempts: settings.jobMaxAttempts,
                                                  retentionSeconds: Double(settings.jobRetentionSeconds)),
            metrics: jobMetrics, logger: logger)))
        // Very last: the first told of a shutdown (the group tells services in reverse order, each
        // after the one before it has stopped), so its deadline starts with the signal.
        services.append(.init(service: ShutdownDeadline(grace: .seconds(settings.shutdownGraceSeconds), logger: logger)))
        var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger)
        // Past the grace period in-flight work is cancelled: requests end, running jobs are released.
        configuration.maximumGracefulShutdownDuration = .seconds(settings.shutdownGraceSeconds)
        return ServiceGroup(configuration: configuration)
    }
}

/// The engine without HTTP or jobs: what `serve` runs behind its routes and `predict` runs once.
struct Engine {
    let runtime: ONNXRuntime
    let inference: BlockingExecutor
    /// The request path's blocking work: image decoding, JSON encoding, small file reads
    /// (`DECODE_THREADS` threads).
    let requestWork: BlockingExecutor
    let loading: BlockingExecutor
    let fetcher: URLImageFetcher
    let hub: HubClient
    let downloads: DownloadBoard
    let metrics: MetricsExporter
    let models: ModelManager
    let images: ImagePipeline
    let registry: FamilyRegistry

    var executors: [BlockingExecutor] { [inference, requestWork, loading] }

    /// Unloads every model, stops the threads and closes the hub client.
    func shutdown() async {
        _ = await models.unloadAll()
        executors.forEach { $0.shutdown() }
        try? await hub.shutdown()
    }
}

extension AppBuilder {
    /// Loads ONNX Runtime and builds the model manager, the image pipeline and every family over
    /// them. `downloadProgress` replaces the log lines of download progress (the `predict` command
    /// draws its own on stderr).
    static func makeEngine(settings: Settings, logger: Logger,
                           downloadProgress: (@Sendable (DownloadProgress) -> Void)? = nil) throws -> Engine {
        // Checked before anything that must be shut down is made.
        let defaults = try defaultModels(settings: settings)
        let graphs = try loadGraphs(settings: settings, logger: logger)
        let runtime = try ONNXRuntime(openVINOOnAnyCPU: settings.openVINOOnAnyCPU)
        logger.info("ONNX Runtime found (opened on the first model load)", metadata: ["version": "\(runtime.version)", "library": "\(runtime.libraryPath)",
                                                      "providers": "\(runtime.providers.joined(separator: ","))",
                                                      "execution_provider": "\(settings.executionProvider.rawValue)",
                                                      "openvino": "\(runtime.openVINOPlugin ?? "not installed")"])
        if settings.executionProvider == .openvino && runtime.openVINOPlugin == nil {
            logger.warning("EXECUTION_PROVIDER=openvino but the OpenVINO plugin is not installed: graphs run on the CPU provider",
                           metadata: ["fix": "scripts/setup.sh fetches it into .deps/openvino-ep, or set OPENVINO_EP_PATH"])
        }
        if settings.device == .cuda && !runtime.availableDevices.contains(.cuda) {
            throw SettingsError("DEVICE=cuda, but the loaded ONNX Runtime has no CUDA execution provider "
                                + "(point ORT_DYLIB_PATH at a CUDA-enabled libonnxruntime.so)")
        }
        let inference = BlockingExecutor(name: "inference", threads: settings.inferenceWorkers,
                                         queueLimit: settings.inferenceQueueLimit)
        let requestWork = BlockingExecutor(name: "request-work", threads: settings.decodeThreads,
                                      queueLimit: settings.inferenceQueueLimit * 4)
        let loading = BlockingExecutor(name: "model-load", threads: 1, queueLimit: 16)
        let fetcher = URLImageFetcher(
            policy: AddressPolicy(allowList: settings.imageURLAllowList, allowPrivate: settings.allowPrivateImageURLs),
            limits: .init(maxBytes: settings.maxImageBytes, timeoutSeconds: settings.imageURLTimeoutSeconds))
        let hub = makeHubClient(settings: settings, logger: logger)
        let downloads = DownloadBoard()
        let metrics = makeMetrics()
        let progress = downloadProgress.map { draw in
            { @Sendable (p: DownloadProgress) in downloads.record(p); draw(p) }
        } ?? progressLogger(downloads, logger)
        let models = ModelManager(
            families: families.map { $0.erasedLoader },
            runtime: runtime,
            repository: makeRepository(settings: settings, hub: hub, progress: progress, graphs: graphs),
            loadExecutor: loading,
            defaultDevice: settings.device, sessionOptions: settings.sessionOptions, memoryBudgetMB: settings.maxModelMemoryMB, downloads: downloads,
            policy: ModelPolicy(patterns: settings.allowedModels), metrics: EngineMetrics(factory: metrics.factory),
            graphs: graphs, defaults: defaults, logger: logger)
        if !defaults.isEmpty {
            logger.info("default models", metadata: Logger.Metadata(uniqueKeysWithValues: defaults.map {
                ($0.key.rawValue, Logger.MetadataValue.string($0.value.description)) }))
        }
        let images = ImagePipeline(
            decoder: ImageDecoder(), fetcher: fetcher, executor: requestWork,
            limits: ImageLimits(maxPixels: settings.maxImagePixels, maxBytes: settings.maxImageBytes),
            maxImagesPerRequest: settings.maxImagesPerRequest)
        let context = EngineContext(models: models, images: images, inference: inference)
        let familyContext = FamilyContext(engine: context, pngEncoder: PNGEncoder(), deflater: Zlib(),
                                          settings: FamilySettings(settings.values),
                                          metrics: EngineMetrics(factory: metrics.factory))
        // Settings were checked before: what is left to fail here is a programming error.
        let registry = FamilyRegistry(try families.map { try $0.serve(familyContext) })
        return Engine(runtime: runtime, inference: inference, requestWork: requestWork, loading: loading, fetcher: fetcher, hub: hub,
                      downloads: downloads, metrics: metrics, models: models, images: images, registry: registry)
    }

    /// The hub client, configured from the environment the HF setup exported (HF_ENDPOINT, the
    /// token chain, HF_HUB_OFFLINE). Logs the endpoint and mode, never the token.
    static func makeHubClient(settings: Settings, logger: Logger) -> HubClient {
        let configuration = HubConfiguration.from(environment: ProcessInfo.processInfo.environment,
                                                  hfHome: settings.hfHome, cacheFolder: settings.hubCache)
        logger.info("Hugging Face hub", metadata: ["endpoint": "\(configuration.endpoint)",
                                                   "offline": "\(configuration.offline)",
                                                   "token": "\(configuration.token == nil ? "None" : "***")"])
        return HubClient(configuration: configuration)
    }

    /// The hub-backed model repository (cache, hub, export store), reporting download progress to `progress`.
    static func makeRepository(settings: Settings, hub: HubClient, progress: @escaping @Sendable (DownloadProgress) -> Void,
                               graphs: GraphCatalog) -> HubModelRepository {
        HubModelRepository(client: hub, exportStore: settings.exportStore, progress: progress, checkpointFilter: { repoID, config in
            try graphs.check(config: config, repoID: repoID, exportCommand: "python3 tools/export/graph_only.py <family> <config.json> graphs/<name>")
        })
    }
}

/// Runs a built service group (keeps ServiceLifecycle out of the command's signature).
struct ServiceGroupRunner {
    let group: ServiceGroup
    func run() async throws { try await group.run() }
}
