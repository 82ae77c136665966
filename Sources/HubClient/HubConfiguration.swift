import Foundation

/// How the server talks to the Hugging Face hub, read as huggingface_hub reads it.
public struct HubConfiguration: Sendable {
    /// `HF_ENDPOINT`, without a trailing slash.
    public var endpoint: String
    /// `HF_TOKEN`, else `HUGGING_FACE_HUB_TOKEN`, else the `$HF_HOME/token` file. Never logged.
    public var token: String?
    /// `HF_HUB_OFFLINE` / `TRANSFORMERS_OFFLINE`: cache only.
    public var offline: Bool
    /// `HF_HUB_CACHE`.
    public var cacheFolder: String
    /// Attempts per file when a transfer breaks (each resumes where the last stopped).
    public var maxAttempts: Int
    /// Seconds without progress before a request fails.
    public var readTimeoutSeconds: Int64

    public init(endpoint: String = "https://huggingface.co", token: String? = nil, offline: Bool = false,
                cacheFolder: String, maxAttempts: Int = 5, readTimeoutSeconds: Int64 = 30) {
        self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        self.token = token
        self.offline = offline
        self.cacheFolder = cacheFolder
        self.maxAttempts = maxAttempts
        self.readTimeoutSeconds = readTimeoutSeconds
    }

    /// Reads `HF_ENDPOINT`, the token chain and the offline flags from `environment`.
    public static func from(environment env: [String: String], hfHome: String, cacheFolder: String) -> HubConfiguration {
        func truthy(_ key: String) -> Bool {
            guard let v = env[key]?.uppercased() else { return false }
            return ["1", "ON", "YES", "TRUE"].contains(v)
        }
        var token = env["HF_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            ?? env["HUGGING_FACE_HUB_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        if token == nil, let data = FileManager.default.contents(atPath: hfHome + "/token"),
           let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty {
            token = text
        }
        let endpoint = env["HF_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } ?? "https://huggingface.co"
        return HubConfiguration(endpoint: endpoint, token: token,
                                offline: truthy("HF_HUB_OFFLINE") || truthy("TRANSFORMERS_OFFLINE"),
                                cacheFolder: cacheFolder)
    }
}
