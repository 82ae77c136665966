import Hummingbird
import Logging

/// Turns every error into `{"detail": "..."}` with its status. Unexpected errors become a bare
/// 500 and are logged with their description, which never reaches the client.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            if let mapped = APIError.from(error) {
                if mapped.status.code == 503 {
                    // Starting, stopping or an unavailable job store: logged once where it begins.
                    context.logger.debug("request refused", metadata: ["path": "\(request.uri.path)", "error": "\(mapped.detail)"])
                } else if mapped.status.code >= 500 {
                    context.logger.error("request failed", metadata: ["path": "\(request.uri.path)",
                                                                      "error": "\(mapped.logDetail ?? mapped.detail)"])
                }
                return try mapped.response(from: request, context: context)
            }
            context.logger.error("unexpected error", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return try APIError(status: .internalServerError, detail: "internal server error")
                .response(from: request, context: context)
        }
    }
}
