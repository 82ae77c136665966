import Hummingbird

/// CORS for a configured origin list: `*` (any origin, answered with `*` unless credentials are
/// allowed, when the request's origin is echoed), or exact origins echoed only when listed.
/// Answers preflight requests itself.
struct CORSPolicyMiddleware<Context: RequestContext>: RouterMiddleware {
    let origins: [String]
    let allowCredentials: Bool
    let allowHeaders = "Accept, Content-Type, Origin, Authorization, Idempotency-Key"
    let allowMethods = "GET, POST, DELETE, HEAD, OPTIONS"

    func allowedOrigin(for origin: String) -> String? {
        if origins.contains("*") { return allowCredentials ? origin : "*" }
        return origins.contains(origin) ? origin : nil
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], origin != "null" else {
            return try await next(request, context)
        }
        let allowed = allowedOrigin(for: origin)
        var response: Response
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            response = Response(status: .noContent)
            if allowed != nil {
                response.headers[.accessControlAllowHeaders] = allowHeaders
                response.headers[.accessControlAllowMethods] = allowMethods
                response.headers[.accessControlMaxAge] = "600"
            }
        } else {
            response = try await next(request, context)
        }
        if let allowed {
            response.headers[.accessControlAllowOrigin] = allowed
            if allowCredentials { response.headers[.accessControlAllowCredentials] = "true" }
            if allowed != "*" { response.headers[.vary] = "Origin" }
        }
        return response
    }
}
