import HubCache
import ImageCodecs
import Logging
import ONNXRuntimeAdapter
import VisionCore
@testable import VisionEngine

struct NoFetcher: ImageFetching {
    func fetch(_ url: String) async throws -> [UInt8] { throw VisionError.forbiddenURL("no network in tests") }
}

/// A real engine (ONNX Runtime, image decoding, a hub-cache folder) for parity tests.
enum EngineFixture {
    static func context(families: [AnyModelLoader], hubCache: String) throws -> EngineContext {
        let models = ModelManager(families: families, runtime: try ONNXRuntime(),
                                  repository: HubCacheRepository(cacheFolder: hubCache),
                                  loadExecutor: BlockingExecutor(name: "load", threads: 1, queueLimit: 4),
                                  logger: Logger(label: "test"))
        return EngineContext(
            models: models,
            images: ImagePipeline(decoder: ImageDecoder(), fetcher: NoFetcher(),
                                  executor: BlockingExecutor(name: "decode", threads: 1, queueLimit: 8),
                                  limits: ImageLimits(), maxImagesPerRequest: 8),
            inference: BlockingExecutor(name: "inference", threads: 1, queueLimit: 8))
    }
}
