import Foundation
import Logging
import ServiceLifecycle
import VisionAPI
import VisionEngine
import VisionCore

/// Loads `PRELOAD_MODELS`, then marks the server ready; marks it stopping at shutdown.
struct StartupService: Service {
    let models: ModelManager
    let preloads: [(ModelType, String?)]
    let readiness: Readiness
    let logger: Logger

    func run() async throws {
        var failures: [String] = []
        for (type, id) in preloads {
            readiness.set(.starting("preloading \(type.rawValue) \(id ?? "(default)")"))
            do {
                _ = try await models.model(type, modelID: id)
            } catch {
                // /health/ready shows it: the public message (the log line below has it in full).
                failures.append("\(type.rawValue) \(id ?? "(default)"): \((error as? VisionError)?.publicMessage ?? "\(error)")")
                logger.error("preload failed", metadata: ["model_type": "\(type.rawValue)", "error": "\(error)"])
            }
        }
        readiness.set(failures.isEmpty ? .ready : .failed("preload failed: " + failures.joined(separator: "; ")))
        try? await gracefulShutdown()
        readiness.set(.stopping)
    }
}
