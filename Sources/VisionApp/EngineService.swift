import Foundation
import Logging
import ServiceLifecycle
import VisionEngine
import HubClient

/// Owns the engine's resources for the life of the server; on shutdown (after the HTTP server has
/// finished its in-flight requests) unloads every model and stops the worker threads.
struct EngineService: Service {
    let models: ModelManager
    let executors: [BlockingExecutor]
    let hub: HubClient
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        let unloaded = await models.unloadAll()
        logger.info("engine stopped", metadata: ["unloaded": "\(unloaded.map(\.rawValue))"])
        executors.forEach { $0.shutdown() }
        try? await hub.shutdown()
    }
}
