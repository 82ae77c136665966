import HTTPTypes
import Hummingbird
import VisionCore

/// With API keys set, every route but the open ones needs `Authorization: Bearer <key>` or
/// `X-API-Key: <key>`; otherwise a 401 with `WWW-Authenticate: Bearer`.
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let keyring: APIKeyring
    /// Paths answered without a key (liveness, readiness and, unless told otherwise, metrics).
    let openPaths: Set<String>

    static func presentedKey(_ request: Request) -> String? {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return String(parts[1]).trimmingCharacters(in: .whitespaces) }
        }
        return request.headers[HTTPField.Name("X-API-Key")!]
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard keyring.isEnabled, !openPaths.contains(request.uri.path), request.method != .options else {
            return try await next(request, context)
        }
        guard let key = Self.presentedKey(request), keyring.accepts(key) else {
            throw VisionError.unauthorized(Self.presentedKey(request) == nil
                ? "an API key is required: send Authorization: Bearer <key> or X-API-Key"
                : "the API key is not valid")
        }
        return try await next(request, context)
    }
}
