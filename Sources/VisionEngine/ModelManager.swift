import Foundation
import Logging
import VisionCore

/// Loads models lazily (on first use or on request), several per type, each through a
/// `ModelLifecycle`; concurrent first requests share one download and one load. Optional memory
/// budget with least-recently-used eviction, and idle unloading.
public actor ModelManager {
    /// One model: its type, id (revision, variant) and device.
    public struct Key: Hashable, Sendable {
        public let type: ModelType
        public let reference: ModelReference
        public let device: ComputeDevice
    }

    /// One row of `/models/status`.
    public struct Status: Sendable {
        public let modelType: ModelType
        public let modelID: String
        public let device: ComputeDevice
        /// `absent`, `downloading`, `loading`, `ready` or `failed`.
        public let state: String
        public let loaded: Bool
        public let loading: Bool
        public let memoryMB: Double
        public let loadSeconds: Double?
        public let idleSeconds: Double?
        public let error: String?
        /// Files being downloaded for this model now.
        public let downloads: [DownloadProgress]
        /// The model's own fields (e.g. GroundingDINO's graph probe).
        public let details: [(String, JSONValue)]
        /// Each graph session of the model: where it runs and why.
        public let placements: [(graph: String, placement: ProviderPlacement)]
    }

    private struct Entry {
        var life: ModelLifecycle<any LoadedModel>
        var waiters: [CheckedContinuation<Result<any LoadedModel, VisionError>, Never>] = []
        var lastUsed: ContinuousClock.Instant?
        var loadSeconds: Double?
        var memoryBytes = 0
        /// The sessions the last load made (their providers), for status.
        var ledger: SessionLedger?
    }

    private let families: [ModelType: AnyModelLoader]
    /// The operator's default model per type (`DEFAULT_MODELS`), over the families' own.
    private let defaults: [ModelType: ModelReference]
    /// Model types this server serves, in registration order.
    public nonisolated let servedTypes: [ModelType]
    private let runtime: any InferenceRuntime
    /// Graphs shipped without weights, bound to a checkpoint's safetensors at load.
    private let graphs: GraphCatalog
    private let repository: any ModelRepository
    private let loadExecutor: BlockingExecutor
    private let defaultDevice: ComputeDevice
    /// Threads, spinning and memory settings for every session; the device comes from each load.
    private let sessionOptions: SessionOptions
    private let memoryBudgetBytes: Int?
    /// Which ids may be loaded, and how long a failed model waits before it is tried again.
    private let policy: ModelPolicy
    private let failureBackoff: Duration
    /// Failed entries kept at most (the oldest are forgotten first).
    private let maxRememberedFailures = 256
    private let logger: Logger
    private let metrics: EngineMetrics
    /// Download progress, filled by the repository's progress callbacks.
    public nonisolated let downloads: DownloadBoard
    private var entries: [Key: Entry] = [:]

    public init(families: [AnyModelLoader], runtime: any InferenceRuntime, repository: any ModelRepository,
                loadExecutor: BlockingExecutor, defaultDevice: ComputeDevice = .cpu,
                sessionOptions: SessionOptions = SessionOptions(), memoryBudgetMB: Int? = nil, downloads: DownloadBoard = DownloadBoard(),
                policy: ModelPolicy = .any, failureBackoff: Duration = .seconds(1), metrics: EngineMetrics = .none,
                graphs: GraphCatalog = GraphCatalog(graphs: []), defaults: [ModelType: ModelReference] = [:],
                logger: Logger) {
        self.graphs = graphs
        self.defaults = defaults
        self.policy = policy
        self.metrics = metrics
        self.failureBackoff = failureBackoff
        self.families = Dictionary(uniqueKeysWithValues: families.map { ($0.type, $0) })
        self.servedTypes = families.map(\.type)
        self.runtime = runtime
        self.repository = repository
        self.loadExecutor = loadExecutor
        self.defaultDevice = defaultDevice
        self.sessionOptions = sessionOptions
        self.memoryBudgetBytes = memoryBudgetMB.map { $0 << 20 }
        self.downloads = downloads
        self.logger = logger
    }

    /// The served model types that can serve a cached snapshot, in registration order.
    public nonisolated func types(serving revision: CachedRevision) -> [ModelType] {
        servedTypes.filter { families[$0]?.serves(revision) == true }
    }

    /// The default model id of a type: the operator's (`DEFAULT_MODELS`, with its `@revision`),
    /// else the family's.
    public nonisolated func defaultModelID(for type: ModelType) -> String? {
        guard families[type] != nil else { return nil }
        return defaults[type]?.description ?? families[type]?.defaultModelID
    }

    /// The served model types that serve `reference`, in registration order: those it is loaded
    /// as, else those its snapshot's `config.json` (or the exporter's marker) names; the snapshot
    /// is fetched first where the repository can (the request that asks needs its files next).
    /// Its two small JSON files are read on `files` (not the model-load thread, which a long load
    /// may hold).
    public func types(servingModel reference: ModelReference, files: BlockingExecutor) async throws -> [ModelType] {
        guard policy.allows(reference.repoID) else {
            throw VisionError.accessDenied("model '\(reference.repoID)' is not allowed here (ALLOWED_MODELS)")
        }
        let loaded = Set(entries.filter { $0.key.reference == reference && $0.value.life.model != nil }.map(\.key.type))
        if !loaded.isEmpty { return servedTypes.filter(loaded.contains) }
        let exporters = servedTypes.flatMap { families[$0]?.exporter.names ?? [] }
        let snapshot = try await repository.snapshot(for: reference, exporter: .oneOf(exporters))
        let revision = try await files.run { ModelFiles.describe(snapshot) }
        return types(serving: revision)
    }

    /// Whether `repoID` is the default model of `type` (hub ids compare case-insensitively, as
    /// the hub resolves them; any revision of the default counts).
    public nonisolated func isDefault(_ repoID: String, for type: ModelType) -> Bool {
        guard let id = defaultModelID(for: type) else { return false }
        return id.prefix { $0 != "@" }.lowercased() == repoID.lowercased()
    }

    private func family(_ type: ModelType) throws -> AnyModelLoader {
        guard let family = families[type] else {
            let served = servedTypes.map(\.rawValue).joined(separator: ", ")
            throw VisionError.unknownModelType("model type '\(type.rawValue)' is not served by this server (served: \(served))")
        }
        return family
    }

    /// Returns the requested model, downloading and loading it if needed.
    public func model(_ type: ModelType, modelID: String? = nil, variant: String? = nil,
                      device: ComputeDevice? = nil) async throws -> any LoadedModel {
        let family = try family(type)
        let reference = try ModelReference(parsing: modelID ?? defaultModelID(for: type) ?? family.defaultModelID,
                                           variant: variant)
        let device = device ?? defaultDevice
        if !runtime.availableDevices.contains(device) {
            throw VisionError.deviceUnavailable(
                "device '\(device.rawValue)' is not available: the loaded ONNX Runtime offers \(runtime.availableDevices.map(\.rawValue))")
        }
        guard policy.allows(reference.repoID) else {
            throw VisionError.accessDenied("model '\(reference.repoID)' is not allowed here (ALLOWED_MODELS)")
        }
        let key = Key(type: type, reference: reference, device: device)
        var entry = entries[key] ?? Entry(life: ModelLifecycle(backoff: failureBackoff))
        let action = entry.life.request()
        switch action {
        case .fail(let error):
            throw error
        case .use(let model):
            entry.lastUsed = .now
            entries[key] = entry
            return model
        case .wait:
            entries[key] = entry
            let result = await withCheckedContinuation { entries[key]?.waiters.append($0) }
            entries[key]?.lastUsed = .now
            return try result.get()
        case .start:
            entries[key] = entry
            let result = await prepare(key, family: family)
            return try result.get()
        }
    }

    /// Download, make room, load; then settle the lifecycle and every waiter.
    private func prepare(_ key: Key, family: AnyModelLoader) async -> Result<any LoadedModel, VisionError> {
        let start = ContinuousClock.now
        logger.info("preparing model", metadata: ["model_type": "\(key.type.rawValue)", "model_id": "\(key.reference)",
                                                  "device": "\(key.device.rawValue)"])
        var measured = 0
        let result: Result<any LoadedModel, VisionError>
        do {
            let snapshot = try await repository.snapshot(for: key.reference, exporter: family.exporter)
            downloads.clear(repoID: key.reference.repoID)
            entries[key]?.life.downloaded()
            evictForBudget(incoming: ModelFiles.onnxBytes(in: snapshot), keeping: key)
            var options = sessionOptions
            options.device = key.device
            let ledger = SessionLedger()
            entries[key]?.ledger = ledger
            var loadContext = ModelLoadContext(runtime: ledger.recording(metrics.metered(runtime, type: key.type,
                                                                                         modelID: key.reference.description)),
                                               sessionOptions: options, logger: logger)
            loadContext.graphs = graphs
            let context = loadContext
            let (model, delta) = try await loadExecutor.run { () throws -> (any LoadedModel, Int) in
                let before = SystemMemory.residentBytes() ?? 0
                let model = try family.load(snapshot, context)
                return (model, (SystemMemory.residentBytes() ?? 0) - before)
            }
            // What the load added to resident memory, and never less than the weights it holds.
            measured = max(delta, model.memoryBytes)
            result = .success(model)
        } catch let error as VisionError {
            result = .failure(error)
        } catch {
            result = .failure(.internalError("loading '\(key.reference)' failed: \(error)"))
        }
        let elapsed = ContinuousClock.now - start
        let seconds = elapsed.seconds
        metrics.modelLoad(type: key.type, succeeded: (try? result.get()) != nil, nanoseconds: elapsed.nanoseconds)
        guard var entry = entries[key] else { return result }
        let outcome = entry.life.finished(result)
        let waiters = entry.waiters
        entry.waiters = []
        switch result {
        case .success:
            entry.loadSeconds = seconds
            entry.memoryBytes = measured
            entry.lastUsed = .now
            logger.info("model ready", metadata: ["model_type": "\(key.type.rawValue)", "model_id": "\(key.reference)",
                                                  "seconds": "\(String(format: "%.2f", seconds))",
                                                  "memory_mb": "\(measured >> 20)"])
            for (graph, placement) in entry.ledger?.placements ?? [] where placement.provider == .cpu && !placement.deciding
                && sessionOptions.provider != .cpu {
                logger.info("graph on the CPU provider", metadata: ["model_id": "\(key.reference)", "graph": "\(graph)",
                                                                   "reason": "\(placement.reason)"])
            }
        case .failure(let error):
            logger.warning("model failed", metadata: ["model_type": "\(key.type.rawValue)", "model_id": "\(key.reference)",
                                                      "error": "\(error.message)"])
        }
        if case .failure = result { forgetOldFailures(keeping: key) }
        if outcome.dropNow {
            entries[key] = nil
            logger.info("model unloaded on arrival", metadata: ["model_id": "\(key.reference)"])
        } else {
            entries[key] = entry
            if case .success = result { evictForBudget(incoming: 0, keeping: key) }
        }
        for waiter in waiters { waiter.resume(returning: outcome.result) }
        return outcome.result
    }

    /// Bounds the failed entries kept (each one is a remembered failure with its backoff).
    private func forgetOldFailures(keeping key: Key) {
        let failed = entries.filter { $0.key != key && $0.value.life.error != nil }
        guard failed.count >= maxRememberedFailures else { return }
        let oldest = failed.sorted { ($0.value.life.retryAt ?? .now) < ($1.value.life.retryAt ?? .now) }
        for (stale, _) in oldest.prefix(failed.count - maxRememberedFailures + 1) { entries[stale] = nil }
    }

    /// Unloads least-recently-used ready models until `incoming` more bytes fit the budget.
    private func evictForBudget(incoming: Int, keeping key: Key) {
        guard let budget = memoryBudgetBytes else { return }
        var total = entries.values.filter { $0.life.model != nil }.reduce(0) { $0 + $1.memoryBytes }
        let candidates = entries.filter { $0.key != key && $0.value.life.model != nil }
            .sorted { ($0.value.lastUsed ?? .now) < ($1.value.lastUsed ?? .now) }
        for (candidate, entry) in candidates where total + incoming > budget {
            _ = entries[candidate]?.life.unload()
            entries[candidate] = nil
            total -= entry.memoryBytes
            logger.info("model evicted (memory budget)", metadata: ["model_id": "\(candidate.reference)",
                                                                    "budget_mb": "\(budget >> 20)"])
        }
        if total + incoming > budget {
            logger.warning("model exceeds the memory budget on its own", metadata: ["incoming_mb": "\(incoming >> 20)"])
        }
    }

    /// Unloads every model of `type`. Returns the ids unloaded. Requests holding a model finish
    /// with it; its memory is released when the last one does.
    @discardableResult
    public func unload(_ type: ModelType) throws -> [String] {
        _ = try family(type)
        return unload { $0.type == type }
    }

    /// Unloads every model with this id (any type, revision or device).
    @discardableResult
    public func unload(modelID: String) throws -> [String] {
        let reference = try ModelReference(parsing: modelID)
        return unload { $0.reference.repoID == reference.repoID }
    }

    /// Unloads every model; returns the types that had a model.
    public func unloadAll() -> [ModelType] {
        let types = loadedTypes()
        _ = unload { _ in true }
        return types
    }

    /// Unloads ready models not used for `idle`; returns their ids.
    @discardableResult
    public func unloadIdle(longerThan idle: Duration) -> [String] {
        let cutoff = ContinuousClock.now - idle
        let stale = Set(entries.filter { $0.value.life.model != nil && ($0.value.lastUsed ?? cutoff) < cutoff }.map(\.key))
        return unload { stale.contains($0) }
    }

    private func unload(where matches: (Key) -> Bool) -> [String] {
        var unloaded: [String] = []
        for key in entries.keys.filter(matches) {
            guard var entry = entries[key] else { continue }
            if entry.life.unload() { unloaded.append(key.reference.description) }
            if entry.life.isBusy {
                entries[key] = entry
            } else {
                entries[key] = nil
            }
        }
        if !unloaded.isEmpty { logger.info("models unloaded", metadata: ["models": "\(unloaded)"]) }
        return unloaded.sorted()
    }

    /// Every known model (ready, being prepared or failed).
    public func status() -> [Status] {
        let now = ContinuousClock.now
        return entries.sorted { ($0.key.type.rawValue, $0.key.reference.description) < ($1.key.type.rawValue, $1.key.reference.description) }
            .map { key, entry in
                Status(modelType: key.type, modelID: key.reference.description, device: key.device,
                       state: entry.life.stateName, loaded: entry.life.model != nil, loading: entry.life.isBusy,
                       memoryMB: entry.life.model != nil ? Double(entry.memoryBytes) / 1_048_576 : 0,
                       loadSeconds: entry.loadSeconds, idleSeconds: entry.lastUsed.map { (now - $0).seconds },
                       error: entry.life.error?.publicMessage,
                       downloads: entry.life.isBusy ? downloads.inFlight(repoID: key.reference.repoID) : [],
                       details: entry.life.model?.statusDetails ?? [],
                       placements: entry.life.model != nil ? entry.ledger?.placements ?? [] : [])
            }
    }

    /// The model types with a ready model.
    public func loadedTypes() -> [ModelType] {
        let types = Set(entries.filter { $0.value.life.model != nil }.map(\.key.type))
        return servedTypes.filter(types.contains)
    }

    /// The default device of new models.
    public nonisolated var device: ComputeDevice { defaultDevice }
}

