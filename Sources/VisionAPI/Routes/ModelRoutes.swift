import Foundation
import Hummingbird
import VisionCore
import VisionEngine

/// `/models/status`, `/models/cache`, `/models/load`, `/models/unload`, `/models/unload-all`.
struct ModelRoutes {
    let dependencies: APIDependencies
    let configuration: APIConfiguration

    func register(on router: Router<BasicRequestContext>) {
        let models = dependencies.models
        let families = dependencies.families
        let limit = configuration.maxBodyBytes, timeout = configuration.bodyTimeout
        let statusShape = ModelStatusAnswer.shape(
            instance: ModelInstanceAnswer.shape(families, modelTypes: families.types.map(\.rawValue)), ref: "ModelInstance")
        router.get("/models/status") { _, _ in
            let rows = await models.status()
            // Per type, as the original: its ready model (most recently used), else the one being
            // prepared or failed, else the default model, not loaded.
            var byType: [(String, ModelInstanceAnswer)] = []
            for type in models.servedTypes {
                let mine = rows.filter { $0.modelType == type }
                if let pick = mine.filter(\.loaded).min(by: { ($0.idleSeconds ?? 0) < ($1.idleSeconds ?? 0) }) ?? mine.first {
                    byType.append((type.rawValue, ModelInstanceAnswer(pick)))
                } else {
                    byType.append((type.rawValue, ModelInstanceAnswer(modelType: type.rawValue, modelID: models.defaultModelID(for: type) ?? "",
                                                                      device: models.device.rawValue)))
                }
            }
            let total = rows.reduce(0) { $0 + $1.memoryMB }
            let answer = ModelStatusAnswer(byType: byType, instances: rows.map(ModelInstanceAnswer.init),
                                           totalMemoryMB: (total * 100).rounded() / 100)
            return JSONIO.response(statusShape.json(answer))
        }
        let inventory = dependencies.cacheInventory, work = dependencies.requestWork
        let cacheShape = ModelCacheAnswer.shape(modelTypes: families.types.map(\.rawValue))
        let loadShape = LoadAnswer.shape(modelTypes: families.types.map(\.rawValue))
        let unloadAllShape = UnloadAllAnswer.shape(modelTypes: families.types.map(\.rawValue))
        router.get("/models/cache") { _, _ in
            // A walk of the cache folder: file I/O, on the request-work threads.
            let repositories = try await work.run { try inventory?.repositories() ?? [] }
            let loaded = Set(await models.status().filter(\.loaded).map { String($0.modelID.prefix { $0 != "@" && $0 != " " }) })
            let rows = repositories.map { repo -> ModelCacheAnswer.Repository in
                var types: [String] = []
                let revisions = repo.revisions.map { revision -> ModelCacheAnswer.Revision in
                    let served = models.types(serving: revision).map(\.rawValue)
                    for type in served where !types.contains(type) { types.append(type) }
                    return .init(commit: revision.commit, refs: revision.refs, modelTypes: served, variants: revision.variants,
                                 hasONNX: revision.hasGraphs, exported: revision.exported, files: revision.files.count)
                }
                return .init(modelID: repo.repoID, sizeBytes: repo.sizeBytes, modelTypes: types,
                             defaultFor: models.servedTypes.filter { models.isDefault(repo.repoID, for: $0) }.map(\.rawValue),
                             loaded: loaded.contains(repo.repoID), revisions: revisions)
            }
            return JSONIO.response(cacheShape.json(ModelCacheAnswer(repositories: rows)))
        }
        router.post("/models/load") { request, _ in
            let body = try await JSONIO.decode(LoadRequest.self, from: request, limit: limit, timeout: timeout)
            let type = try families.modelType(body.modelType)
            let start = ContinuousClock.now
            let model = try await models.model(type, modelID: body.modelID, variant: body.variant,
                                               device: body.device)
            let elapsed = ContinuousClock.now - start
            return JSONIO.response(loadShape.json(LoadAnswer(modelType: type.rawValue, modelID: model.reference.description,
                                                             device: model.device.rawValue, memoryBytes: model.memoryBytes,
                                                             seconds: elapsed.seconds)))
        }
        router.post("/models/unload") { request, _ in
            let body = try await JSONIO.decode(UnloadRequest.self, from: request, limit: limit, timeout: timeout)
            // A model_type given with model_id must still be a served one.
            let type = try body.modelType.map { try families.modelType($0) }
            let answer: UnloadAnswer
            if let id = body.modelID {
                answer = UnloadAnswer(modelType: nil, modelID: id, unloaded: try await models.unload(modelID: id))
            } else if let type {
                answer = UnloadAnswer(modelType: type.rawValue, modelID: nil, unloaded: try await models.unload(type))
            } else {
                throw VisionError.invalidRequest("body: model_type or model_id required")
            }
            return JSONIO.response(UnloadAnswer.shape.json(answer))
        }
        router.post("/models/unload-all") { _, _ in
            let types = await models.unloadAll()
            return JSONIO.response(unloadAllShape.json(UnloadAllAnswer(modelTypes: types.map(\.rawValue))))
        }
    }
}
