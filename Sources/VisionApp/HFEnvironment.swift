import Foundation
import Logging

/// Configures the Hugging Face environment exactly as the original server did at startup:
/// exports HF_HOME, TRANSFORMERS_CACHE, HF_DATASETS_CACHE, HF_HUB_CACHE (and HF_TOKEN when set),
/// creates the folders, and logs the root with the token masked.
enum HFEnvironment {
    static func configure(_ settings: Settings, logger: Logger) throws {
        let token = settings.hfToken == nil ? "None" : "***"
        logger.info("Configuring HuggingFace environment: root=\(settings.hfRootFolder), token=\(token)")
        if let t = settings.hfToken { setenv("HF_TOKEN", t, 1) }
        let home = settings.hfHome
        let values = [
            ("HF_HOME", home),
            ("TRANSFORMERS_CACHE", home + "/transformers"),
            ("HF_DATASETS_CACHE", home + "/datasets"),
            ("HF_HUB_CACHE", home + "/hub"),
        ]
        for (key, path) in values {
            setenv(key, path, 1)
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw SettingsError("cannot create \(key) folder \(path): \(error.localizedDescription)")
            }
        }
    }
}
