import Foundation
import Logging
import ServiceLifecycle
import VisionEngine

/// Unloads models idle for longer than `MODEL_TTL`.
struct IdleModelReaper: Service {
    let models: ModelManager
    let ttl: Duration
    let logger: Logger

    func run() async throws {
        let interval = min(ttl / 2, .seconds(30))
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            let unloaded = await models.unloadIdle(longerThan: ttl)
            if !unloaded.isEmpty { logger.info("idle models unloaded", metadata: ["models": "\(unloaded)"]) }
        }
    }
}
