import Foundation
import Hummingbird
import VisionCore
import VisionEngine

/// `/models/status`, `/models/load`, `/models/unload`, `/models/unload-all`.
struct ModelRoutes {
    let dependencies: APIDependencies
    let configuration: APIConfiguration

    struct LoadRequest: Decodable {
        let modelType: String
        let modelID: String?
        let device: String?
        let variant: String?
        enum CodingKeys: String, CodingKey {
            case modelType = "model_type", modelID = "model_id", device, variant
        }
    }

    struct UnloadRequest: Decodable {
        let modelType: String
        enum CodingKeys: String, CodingKey { case modelType = "model_type" }
    }

    static func modelType(_ name: String) throws -> ModelType {
        guard let type = ModelType(rawValue: name) else {
            throw VisionError.invalidInput("unknown model_type '\(name.prefix(50))'; expected one of: "
                                           + ModelType.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return type
    }

    static func device(_ name: String?) throws -> ComputeDevice? {
        guard let name else { return nil }
        guard let device = ComputeDevice(rawValue: name.lowercased()) else {
            throw VisionError.invalidInput("unknown device '\(name.prefix(20))'; expected 'cpu' or 'cuda'")
        }
        return device
    }

    func register(on router: Router<BasicRequestContext>) {
        let models = dependencies.models
        let limit = configuration.maxBodyBytes
        router.get("/models/status") { _, _ in
            let rows = await models.status()
            var body: [String: Any] = [:]
            for row in rows {
                var entry: [String: Any] = [
                    "model_type": row.modelType.rawValue, "model_id": row.modelID, "device": row.device.rawValue,
                    "loaded": row.loaded, "loading": row.loading, "memory_mb": (row.memoryMB * 100).rounded() / 100,
                ]
                if !row.downloads.isEmpty {
                    entry["downloads"] = row.downloads.map { d -> [String: Any] in
                        ["file": d.path, "bytes_done": d.bytesDone, "bytes_total": d.bytesTotal ?? NSNull()]
                    }
                }
                body[row.modelType.rawValue] = entry
            }
            let total = rows.reduce(0) { $0 + $1.memoryMB }
            return try JSONIO.response(["models": body, "total_memory_mb": (total * 100).rounded() / 100])
        }
        router.post("/models/load") { request, _ in
            let body = try await JSONIO.decode(LoadRequest.self, from: request, limit: limit)
            let type = try Self.modelType(body.modelType)
            let start = ContinuousClock.now
            let model = try await models.model(type, modelID: body.modelID, variant: body.variant,
                                               device: try Self.device(body.device))
            let elapsed = ContinuousClock.now - start
            return try JSONIO.response([
                "status": "loaded", "model_type": type.rawValue, "model_id": model.reference.description,
                "device": model.device.rawValue, "memory_mb": (Double(model.memoryBytes) / 10_485.76).rounded() / 100,
                "load_time": Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
            ])
        }
        router.post("/models/unload") { request, _ in
            let body = try await JSONIO.decode(UnloadRequest.self, from: request, limit: limit)
            let type = try Self.modelType(body.modelType)
            let was = try await models.unload(type)
            return try JSONIO.response(["status": was ? "unloaded" : "not_loaded", "model_type": type.rawValue])
        }
        router.post("/models/unload-all") { _, _ in
            let types = await models.unloadAll()
            return try JSONIO.response(["status": "unloaded", "model_types": types.map(\.rawValue)])
        }
    }
}
