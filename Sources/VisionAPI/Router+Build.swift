import Hummingbird
import VisionCore
import VisionEngine

/// Builds the HTTP router: every route of the API, CORS, error mapping and request logging.
public func makeRouter(configuration: APIConfiguration, dependencies: APIDependencies) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.middlewares.add(LogRequestsMiddleware(.info))
    router.middlewares.add(RequestMetricsMiddleware(factory: dependencies.metrics.factory))
    if !configuration.corsOrigins.isEmpty {
        router.middlewares.add(CORSPolicyMiddleware(origins: configuration.corsOrigins,
                                                    allowCredentials: configuration.corsAllowCredentials))
    }
    router.middlewares.add(ErrorMiddleware())
    let table = RouteTable()
    router.middlewares.add(MethodNotAllowedMiddleware(table: table))
    router.middlewares.add(APIKeyMiddleware(keyring: configuration.keyring, openPaths: configuration.openPaths))
    SystemRoutes(configuration: configuration, dependencies: dependencies).register(on: router)
    ModelRoutes(dependencies: dependencies, configuration: configuration).register(on: router)
    InferenceRoutes(dependencies: dependencies, configuration: configuration).register(on: router)
    InferenceAPIRoutes(dependencies: dependencies, configuration: configuration).register(on: router)
    MetricsRoute(dependencies: dependencies).register(on: router)
    WebRoutes(configuration: configuration).register(on: router)
    if let jobs = dependencies.jobs {
        JobRoutes(dependencies: jobs, configuration: configuration).register(on: router)
    }
    table.set(router.routes.map { (method: $0.method.rawValue, path: $0.path.description) })
    return router
}
