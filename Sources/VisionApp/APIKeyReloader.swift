import Foundation
import Logging
import ServiceLifecycle
import UnixSignals
import VisionAPI

/// Re-reads `API_KEYS_FILE` on SIGHUP. A file that cannot be read, or that would leave no key
/// where keys were required, keeps the previous keys (reloading never opens the server).
struct APIKeyReloader: Service {
    let settings: Settings
    let keyring: APIKeyring
    let logger: Logger

    func run() async throws {
        guard settings.apiKeysFile != nil else {
            try? await gracefulShutdown()
            return
        }
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            do {
                let keys = try settings.loadAPIKeys()
                guard !keys.isEmpty || !keyring.isEnabled else {
                    logger.error("API keys not reloaded: API_KEYS_FILE now holds no key; the previous keys stay")
                    continue
                }
                keyring.replace(with: keys)
                logger.info("API keys reloaded", metadata: ["keys": "\(keyring.count)"])
            } catch {
                logger.error("API keys not reloaded; the previous keys stay", metadata: ["error": "\(error)"])
            }
        }
    }
}
