import Foundation
import Logging
import VisionCore

/// Loads models lazily (on first use or on request), keeps one per model type, unloads on demand.
public actor ModelManager {
    struct Key: Hashable, Sendable {
        let reference: ModelReference
        let device: ComputeDevice
    }

    /// One row of `/models/status`.
    public struct Status: Sendable, Equatable {
        public let modelType: ModelType
        public let modelID: String
        public let device: ComputeDevice
        public let loaded: Bool
        public let loading: Bool
        public let memoryMB: Double
        /// Files being downloaded for this model now.
        public let downloads: [DownloadProgress]
    }

    private let families: [ModelType: ModelFamily]
    private let runtime: any InferenceRuntime
    private let repository: any ModelRepository
    private let loadExecutor: BlockingExecutor
    private let defaultDevice: ComputeDevice
    private let intraOpThreads: Int?
    private let allowSpinning: Bool
    private let logger: Logger
    /// Download progress, filled by the repository's progress callbacks.
    public nonisolated let downloads: DownloadBoard
    private var slots: [ModelType: ModelSlotMachine<Key, any LoadedModel>] = [:]
    private var waiters: [ModelType: [CheckedContinuation<Void, Never>]] = [:]

    public init(families: [ModelFamily], runtime: any InferenceRuntime, repository: any ModelRepository,
                loadExecutor: BlockingExecutor, defaultDevice: ComputeDevice = .cpu, intraOpThreads: Int? = nil,
                allowSpinning: Bool = false, downloads: DownloadBoard = DownloadBoard(), logger: Logger) {
        self.downloads = downloads
        self.families = Dictionary(uniqueKeysWithValues: families.map { ($0.type, $0) })
        self.runtime = runtime
        self.repository = repository
        self.loadExecutor = loadExecutor
        self.defaultDevice = defaultDevice
        self.intraOpThreads = intraOpThreads
        self.allowSpinning = allowSpinning
        self.logger = logger
    }

    /// Model types this server serves.
    public nonisolated var servedTypes: [ModelType] {
        ModelType.allCases.filter { families[$0] != nil }
    }

    /// The default model id of a type.
    public nonisolated func defaultModelID(for type: ModelType) -> String? { families[type]?.defaultModelID }

    /// Returns the requested model, loading it if needed (concurrent callers share one load).
    public func model(_ type: ModelType, modelID: String? = nil, variant: String? = nil,
                      device: ComputeDevice? = nil) async throws -> any LoadedModel {
        guard let family = families[type] else {
            let served = servedTypes.map(\.rawValue).joined(separator: ", ")
            throw VisionError.unknownModelType("model type '\(type.rawValue)' is not served by this server (served: \(served))")
        }
        let reference = try ModelReference(parsing: modelID ?? family.defaultModelID, variant: variant)
        let device = device ?? defaultDevice
        if !runtime.availableDevices.contains(device) {
            throw VisionError.deviceUnavailable(
                "device '\(device.rawValue)' is not available: the loaded ONNX Runtime offers \(runtime.availableDevices.map(\.rawValue))")
        }
        let key = Key(reference: reference, device: device)
        while true {
            var slot = slots[type] ?? ModelSlotMachine()
            let action = slot.request(key)
            slots[type] = slot
            switch action {
            case .use(let model):
                return model
            case .wait:
                await withCheckedContinuation { waiters[type, default: []].append($0) }
            case .startLoading:
                return try await performLoad(family: family, key: key)
            }
        }
    }

    private func performLoad(family: ModelFamily, key: Key) async throws -> any LoadedModel {
        logger.info("loading model", metadata: ["model_type": "\(family.type.rawValue)", "model_id": "\(key.reference)",
                                                "device": "\(key.device.rawValue)"])
        let start = ContinuousClock.now
        let repository = self.repository
        let context = ModelLoadContext(runtime: runtime, sessionOptions: SessionOptions(
            intraOpThreads: intraOpThreads, device: key.device, allowSpinning: allowSpinning))
        let result: Result<any LoadedModel, any Error>
        do {
            let snapshot = try await repository.snapshot(for: key.reference)
            downloads.clear(repoID: key.reference.repoID)
            let model = try await loadExecutor.run { try family.load(snapshot, context) }
            result = .success(model)
            logger.info("model loaded", metadata: ["model_type": "\(family.type.rawValue)", "model_id": "\(key.reference)",
                                                   "seconds": "\((ContinuousClock.now - start).seconds)"])
        } catch {
            result = .failure(error)
            logger.warning("model load failed", metadata: ["model_type": "\(family.type.rawValue)",
                                                           "model_id": "\(key.reference)", "error": "\(error)"])
        }
        var slot = slots[family.type] ?? ModelSlotMachine()
        _ = slot.loadFinished(key, model: try? result.get())
        slots[family.type] = slot
        for waiter in waiters.removeValue(forKey: family.type) ?? [] { waiter.resume() }
        return try result.get()
    }

    /// Unloads the model of `type`. Returns whether one was loaded. Requests already holding the
    /// model finish with it; its memory is released when the last one does.
    @discardableResult
    public func unload(_ type: ModelType) throws -> Bool {
        guard families[type] != nil else {
            throw VisionError.unknownModelType("model type '\(type.rawValue)' is not served by this server")
        }
        guard var slot = slots[type] else { return false }
        let key = slot.unload()
        slots[type] = slot
        if let key { logger.info("model unloaded", metadata: ["model_type": "\(type.rawValue)", "model_id": "\(key.reference)"]) }
        return key != nil
    }

    /// Unloads every model; returns the types that were loaded.
    public func unloadAll() -> [ModelType] {
        var unloaded: [ModelType] = []
        for type in slots.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
            if (try? unload(type)) == true { unloaded.append(type) }
        }
        return unloaded
    }

    /// One row per served model type.
    public func status() -> [Status] {
        servedTypes.map { type in
            let slot = slots[type]
            if let ready = slot?.readyModel {
                return Status(modelType: type, modelID: ready.model.reference.description, device: ready.model.device,
                              loaded: true, loading: false, memoryMB: Double(ready.model.memoryBytes) / 1_048_576,
                              downloads: [])
            }
            if let loading = slot?.loadingKey {
                return Status(modelType: type, modelID: loading.reference.description, device: loading.device,
                              loaded: false, loading: true, memoryMB: 0,
                              downloads: downloads.inFlight(repoID: loading.reference.repoID))
            }
            return Status(modelType: type, modelID: families[type]!.defaultModelID, device: defaultDevice,
                          loaded: false, loading: false, memoryMB: 0, downloads: [])
        }
    }

    /// The model types loaded now.
    public func loadedTypes() -> [ModelType] {
        servedTypes.filter { slots[$0]?.readyModel != nil }
    }
}

extension Duration {
    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}
