/// Settings of the HTTP layer.
public struct APIConfiguration: Sendable {
    public var version: String
    /// Largest accepted request body, in bytes.
    public var maxBodyBytes: Int
    /// CORS: allowed origins (`["*"]` for any), and whether credentials are allowed.
    public var corsOrigins: [String]
    public var corsAllowCredentials: Bool
    /// API keys (none: every route is open) and whether `/metrics` needs one too.
    public var keyring: APIKeyring
    public var metricsRequireKey: Bool
    /// How long a request body may take to arrive (408 after).
    public var bodyTimeout: Duration

    /// Swagger UI's assets for `/docs`; nil serves the project's own reference page there.
    public var swaggerUI: SwaggerUIAssets?

    /// Paths answered without a key even when keys are set: health probes, metrics unless told
    /// otherwise, and the static pages (they hold no data; what they fetch needs the key).
    public var openPaths: Set<String> {
        var paths = Set(["/health/live", "/health/ready"]).union(WebRoutes.paths)
        if !metricsRequireKey { paths.insert("/metrics") }
        return paths
    }

    public init(version: String, maxBodyBytes: Int = 64 << 20, corsOrigins: [String] = ["*"],
                corsAllowCredentials: Bool = false, keyring: APIKeyring = APIKeyring(keys: []),
                metricsRequireKey: Bool = false, bodyTimeout: Duration = .seconds(30), swaggerUI: SwaggerUIAssets? = nil) {
        self.swaggerUI = swaggerUI
        self.bodyTimeout = bodyTimeout
        self.keyring = keyring
        self.metricsRequireKey = metricsRequireKey
        self.version = version
        self.maxBodyBytes = maxBodyBytes
        self.corsOrigins = corsOrigins
        self.corsAllowCredentials = corsAllowCredentials
    }
}
