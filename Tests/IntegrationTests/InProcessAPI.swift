import Foundation
import Hummingbird
import HummingbirdTesting
import JobQueue
import Logging
import TestSupport
import VisionApp
import VisionCore
@testable import VisionAPI
@testable import VisionEngine

/// The HTTP API in process: the router the server builds (`makeRouter`), over every registered
/// family and an in-memory job store, with no model runtime (a request that needs a model answers
/// as an empty cache does), driven by Hummingbird's router test client: no process, no port. For
/// routing, middleware, errors and documents; what needs a process (signals, startup, the HTTP
/// server's own limits, real models) stays with `ServerProcess`.
struct InProcessAPI {
    let families: FamilyRegistry
    let dependencies: APIDependencies

    init(executor: BlockingExecutor) throws {
        let models = ModelManager(families: AppBuilder.families.map { $0.erasedLoader }, runtime: UnusedRuntime(),
                                  repository: EmptyRepository(), loadExecutor: executor, logger: Logger(label: "t"))
        let context = EngineContext(models: models, images: ImagePipeline(decoder: NoImages(), fetcher: NoImages(),
                                                                          executor: executor, limits: ImageLimits(),
                                                                          maxImagesPerRequest: 1), inference: executor)
        let familyContext = FamilyContext(engine: context, pngEncoder: NoImages(), deflater: NoImages(),
                                          settings: FamilySettings([:]))
        families = FamilyRegistry(try AppBuilder.families.map { try $0.serve(familyContext) })
        var dependencies = APIDependencies(models: models, families: families, runtimeVersion: "t", availableDevices: [.cpu],
                                           requestWork: executor)
        dependencies.jobs = JobsDependencies(store: InMemoryJobStore(),
                                             jobs: InferenceJobs(families: families, images: context.images, work: executor),
                                             metrics: JobMetrics(), maxPending: 8, checkCallback: { _ in })
        dependencies.readiness.set(.ready)  // as StartupService leaves it with nothing to preload
        self.dependencies = dependencies
    }

    /// Runs `body` against the router built with `configuration`.
    static func test(_ configuration: APIConfiguration = APIConfiguration(version: "t"),
                     _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let executor = BlockingExecutor(name: "t", threads: 1, queueLimit: 8)
        defer { executor.shutdown() }
        let api = try InProcessAPI(executor: executor)
        let app = Application(router: makeRouter(configuration: configuration, dependencies: api.dependencies))
        try await app.test(.router) { client in try await body(client) }
    }
}

extension TestResponse {
    /// The `detail` of an error body.
    var detail: String {
        ((try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any])?["detail"] as? String ?? ""
    }
}
