import HTTPTypes
import Hummingbird
import Synchronization

/// The routes' paths and methods, filled once the router is built.
final class RouteTable: Sendable {
    private let routes = Mutex<[(method: String, segments: [Substring])]>([])

    func set(_ entries: [(method: String, path: String)]) {
        routes.withLock { $0 = entries.map { ($0.method, $0.path.split(separator: "/")) } }
    }

    /// The methods served on `path` (parameter segments, `:name` or `{name}`, match any one segment).
    func methods(for path: String) -> [String] {
        let parts = path.split(separator: "/")
        return routes.withLock { routes in
            let matching = routes.filter { route in
                route.segments.count == parts.count
                    && zip(route.segments, parts).allSatisfy { $0.hasPrefix(":") || $0.hasPrefix("{") || $0 == $1 }
            }
            return Array(Set(matching.map(\.method))).sorted()
        }
    }
}

/// A known path asked with a method it does not serve: 405 with `Allow`, not 404.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    let table: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = table.methods(for: request.uri.path)
            guard !allowed.isEmpty else { throw error }
            var headers = HTTPFields()
            headers[.allow] = allowed.joined(separator: ", ")
            throw APIError(status: .methodNotAllowed,
                           detail: "\(request.method.rawValue) is not served on \(request.uri.path); allowed: \(allowed.joined(separator: ", "))",
                           headers: headers)
        }
    }
}
